"""The admin's loop: training data in the record, the unmatched inbox, training jobs,
model versions with their gate, activation on every process, and the audit log.

Everything here is reached through ``routes.py`` (role ``admin``) and the
``tsunagu`` command; ``bot/`` does the learning itself and knows nothing of
the database. See ``docs/admin.md``.
"""

"""API keys: how a program (a CRM pulling transcripts) reads the record without a person's login.

An admin makes a key (``POST /api/admin/api-keys``) and sees it once:
``tsk_`` and 43 random URL-safe characters (256 bits). The program sends it as
``Authorization: Bearer tsk_…``. Only its SHA-256 is stored; every request
looks the key up in the database, so a revoked key is refused at once by
every process.

The scope model is one word per family of read-only routes, named on the
route (:func:`live_chat.admin_http.route`'s ``scope``):

``read``
    conversations (search, read, transcript) and visitor profiles
``reports``
    the ``/api/reports/…`` routes

A key reads what a supervisor reads. It never opens an admin route, a route
that changes something, the console's session routes or a Socket.IO namespace.
"""

from __future__ import annotations

#: Scope name -> what it lets a key read (docs/protocol.md repeats this).
SCOPES: dict[str, str] = {
    "read": "conversations (search, read, transcript) and visitor profiles",
    "reports": "the /api/reports routes",
}
#: How every key begins (so a login token and a key are told apart without a lookup).
KEY_PREFIX = "tsk_"

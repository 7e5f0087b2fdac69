"""Reports: the support metrics of docs/metrics.md over a window of conversations.

Every figure is SQL over messages, events, conversations and ratings (no
Python loops over rows), shared by the HTTP API, the CSV export, the console's
Reports page and ``tsunagu metrics``, so they always agree.
"""

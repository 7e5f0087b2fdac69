"""E-mail: everything tsunagu sends by SMTP, and how it never loses one.

Every e-mail is first a row in the record, written in the transaction that
stores what it is about, then sent by a background :class:`~.queue.MailQueue`
(retries with back-off, one claim per row across processes):

- :mod:`.transcripts` — a visitor asks for their transcript; sent once the
  conversation has ended (rows in ``transcript_requests``), composed by
  :mod:`.transcript_format`;
- :mod:`.messages` — a visitor's offline message to ``TSUNAGU_TEAM_EMAIL``, and
  an agent's reply to the visitor (rows in ``outgoing_mail``).

User text goes into plain-text parts, or HTML-escaped; headers carry nothing a
visitor typed except a checked address.
"""

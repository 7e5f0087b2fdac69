"""Files in chats: images and PDFs sent by visitors and agents.

- :mod:`~live_chat.attachments.blobs`: where the bytes live (one small
  :class:`~live_chat.attachments.blobs.BlobStore` interface; a folder under the
  data folder today, an S3-compatible bucket can implement the same);
- :mod:`~live_chat.attachments.sniff`: what a file is, from its first bytes;
- :mod:`~live_chat.attachments.links`: signed, expiring URLs naming who may fetch;
- :mod:`~live_chat.attachments.service`: upload, who is a party, sending with a message;
- :mod:`~live_chat.attachments.routes`: the HTTP routes.
"""

"""ltci: the long-term care insurance platform (长期护理保险信息平台)."""

import os

# What the platform writes (the secret key, the database, uploads, media, collected static files,
# the bench's inputs) holds personal data or keys: files 0600, folders 0700, whoever else is on the
# machine. Set once at start-up by the settings (every Django process) and by the bench.
PRIVATE_UMASK = 0o077


def keep_files_private() -> None:
    os.umask(PRIVATE_UMASK)

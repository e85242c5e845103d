"""Settings for the test suite: the production settings with keys of its own.

pytest-django imports these (pyproject.toml) before any conftest runs, so the
keys are set here; subprocesses started by tests inherit them.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-quarter-suite-0123456789")
os.environ.setdefault(
    "QUARTER_ID_HASH_KEY", "test-id-hash-key-for-the-quarter-suite-0123456789"
)

from quarter.settings import *  # noqa: E402,F403

# Hashing a password costs ~0.1 s with the production hasher; tests log in often.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

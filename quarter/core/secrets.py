"""The keys Quarter signs and hashes with, failing closed when one is missing.

Two keys, kept apart on purpose:

SECRET_KEY           Django's key: sessions, CSRF, password reset tokens, the rush
                     ticket and the wallet code. It can rotate: put the old value in
                     SECRET_KEY_FALLBACKS (comma-separated) while sessions signed with
                     it age out.
QUARTER_ID_HASH_KEY  the key of the ID-number hash (PIPL). Stored hashes depend on
                     it, so it cannot rotate without re-hashing (see README, 密钥).

Where a key comes from:

* the environment (or `.env`): always, and the only source in production;
* `var/secret-keys.json` (mode 0600), generated at random on first use, when the
  process runs the demo (`quarter demo` sets QUARTER_DEMO=1) or DEBUG is on;
* the test settings (`quarter.settings_test`) set their own.

Anything else stops the process with one line on stderr and exit status 1: a
missing key, or a key that is the development key once published in the source.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

KEY_NAMES = ("SECRET_KEY", "QUARTER_ID_HASH_KEY")
KEY_FILE_NAME = "secret-keys.json"
MIN_LENGTH = 32

# Published in earlier versions of settings.py: anything signed with it is forged.
PUBLISHED_KEYS = frozenset(
    {"django-insecure-quarter-development-key-never-use-in-production"}
)


class MissingKey(Exception):
    """A key is missing or unusable; the message is one line for the operator."""


def load_keys(
    *, environ: dict[str, str], var_dir: Path, local_keys_allowed: bool
) -> dict[str, str]:
    """Return SECRET_KEY and QUARTER_ID_HASH_KEY, raising `MissingKey` if not given.

    Keys in `environ` win. When `local_keys_allowed` (the demo, DEBUG), keys that
    are missing are read from, or generated into, `var_dir/secret-keys.json`.
    """
    keys = {name: environ.get(name, "").strip() for name in KEY_NAMES}
    missing = [name for name, value in keys.items() if not value]
    if missing and local_keys_allowed:
        stored = _local_keys(var_dir)
        for name in missing:
            keys[name] = stored[name]
        missing = []
    if missing:
        raise MissingKey(
            f"{' and '.join(missing)} not set: refusing to start without "
            f"{'them' if len(missing) > 1 else 'it'} (set in the environment or .env; "
            "`quarter demo` makes its own)"
        )
    for name, value in keys.items():
        _check_usable(name, value)
    if keys["SECRET_KEY"] == keys["QUARTER_ID_HASH_KEY"]:
        raise MissingKey(
            "QUARTER_ID_HASH_KEY must differ from SECRET_KEY (they rotate apart)"
        )
    return keys


def fallbacks(environ: dict[str, str]) -> list[str]:
    """Return SECRET_KEY_FALLBACKS from a comma-separated variable, checked."""
    values = [
        v.strip()
        for v in environ.get("SECRET_KEY_FALLBACKS", "").split(",")
        if v.strip()
    ]
    for value in values:
        _check_usable("SECRET_KEY_FALLBACKS", value)
    return values


def load_or_exit(
    *, environ: dict[str, str], var_dir: Path, local_keys_allowed: bool
) -> dict[str, str]:
    """Like `load_keys`, but stop the process with a one-line message on failure.

    Settings call this at import: a server (granian, manage.py, wsgi/asgi) must
    not come up with a key anyone can read, and a traceback would bury the reason.
    """
    try:
        keys = load_keys(
            environ=environ, var_dir=var_dir, local_keys_allowed=local_keys_allowed
        )
        keys["SECRET_KEY_FALLBACKS"] = fallbacks(environ)
    except MissingKey as exc:
        sys.stderr.write(f"quarter: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(1) from None
    return keys


def _check_usable(name: str, value: str) -> None:
    if value in PUBLISHED_KEYS or value.startswith("django-insecure-"):
        raise MissingKey(f"{name} is a published development key; generate a new one")
    if len(value) < MIN_LENGTH:
        raise MissingKey(f"{name} is shorter than {MIN_LENGTH} characters")


def _local_keys(var_dir: Path) -> dict[str, str]:
    """Read the install's own keys, generating them once (mode 0600)."""
    path = var_dir / KEY_FILE_NAME
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fresh = {name: secrets.token_urlsafe(48) for name in KEY_NAMES}
        temp = var_dir / f".{KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(fresh, handle)
        try:
            # A hard link appears whole or not at all: two processes starting at
            # once both end up with the first one's keys.
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise MissingKey(f"cannot read {path}: {exc}") from None
    if not all(isinstance(stored.get(name), str) for name in KEY_NAMES):
        raise MissingKey(f"{path} lacks a key; delete it to generate new ones")
    return {name: stored[name] for name in KEY_NAMES}


def generate_key() -> str:
    """Return a fresh random key, for the operator to put in the environment."""
    return secrets.token_urlsafe(48)

"""Secrets fail closed: no key, no server; the demo keeps random keys of its own."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from quarter.core import secrets

ROOT = Path(__file__).resolve().parents[3]
PUBLISHED = "django-insecure-quarter-development-key-never-use-in-production"
GOOD_SECRET = "s" * 20 + "production-secret-key-0123456789"
GOOD_ID_KEY = "h" * 20 + "production-id-hash-key-012345678"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A production environment: DEBUG off, no keys, no test settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "SECRET_KEY",
            "QUARTER_ID_HASH_KEY",
            "SECRET_KEY_FALLBACKS",
            "DJANGO_SETTINGS_MODULE",
            "QUARTER_DEMO",
            "DEBUG",
            "QUARTER_HTTPS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the root conftest for Playwright
        )
    }
    # Empty values also keep a developer's .env from filling the keys in.
    env.update(
        DEBUG="0",
        SECRET_KEY="",
        QUARTER_ID_HASH_KEY="",
        QUARTER_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_quarter_serve_without_keys_exits_with_one_line(tmp_path):
    """`quarter serve` with DEBUG=0 and no key stops at once, one line, no traceback."""
    done = _run(
        [sys.executable, "-m", "quarter.cli", "serve", "--port", "1"], _env(tmp_path)
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "SECRET_KEY" in lines[0] and "QUARTER_ID_HASH_KEY" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "var" / secrets.KEY_FILE_NAME).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["manage.py", "check"],
        ["-c", "import quarter.wsgi"],
        ["-c", "import quarter.asgi"],
    ],
    ids=["manage.py", "wsgi", "asgi"],
)
def test_every_entry_point_refuses_without_the_id_hash_key(tmp_path, args):
    """The ID-hash key never defaults to SECRET_KEY: missing, the process stops."""
    done = _run([sys.executable, *args], _env(tmp_path, SECRET_KEY=GOOD_SECRET))
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "QUARTER_ID_HASH_KEY not set" in done.stderr
    assert "Traceback" not in done.stderr


def test_published_development_key_is_refused_in_production(tmp_path):
    """Setting the key once published in the source stops the server too."""
    done = _run(
        [sys.executable, "manage.py", "check"],
        _env(tmp_path, SECRET_KEY=PUBLISHED, QUARTER_ID_HASH_KEY=GOOD_ID_KEY),
    )
    assert done.returncode == 1
    assert "published development key" in done.stderr


PROBE = f"""
import django, json, base64, hashlib, hmac
django.setup()
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing
from quarter.vouchers import codes

published = {PUBLISHED!r}
# A rush ticket forged with the published key, as in the reported attack.
body = base64.urlsafe_b64encode(b"1.1.1.1.abc.9999999999").decode().rstrip("=")
key = hashlib.sha256(f"quarter.vouchers.rush:{{published}}".encode()).digest()
sig = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
# A session payload signed with the published key.
forged = signing.dumps(
    {{"_auth_user_id": "1"}}, key=published,
    salt="django.contrib.sessions.SessionStore", compress=True,
    serializer=signing.JSONSerializer,
)
print(json.dumps({{
    "ticket": codes.verify_ticket(f"{{body}}.{{sig}}") is not None,
    "session": SessionStore().decode(forged),
    "debug": settings.DEBUG,
}}))
"""


def test_ticket_and_session_signed_with_published_key_are_refused(tmp_path):
    """Under production settings nothing signed with the published key is accepted."""
    done = _run(
        [sys.executable, "-c", PROBE],
        _env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="quarter.settings",
            SECRET_KEY=GOOD_SECRET,
            QUARTER_ID_HASH_KEY=GOOD_ID_KEY,
            SECRET_KEY_FALLBACKS=GOOD_SECRET[::-1],
        ),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"ticket": False, "session": {}, "debug": False}


def test_published_key_is_refused_as_a_fallback_too():
    with pytest.raises(secrets.MissingKey, match="published"):
        secrets.fallbacks({"SECRET_KEY_FALLBACKS": f"{GOOD_SECRET},{PUBLISHED}"})


def test_demo_generates_private_keys_once_and_reuses_them(tmp_path):
    """The demo's keys are random per install, kept in var/ with mode 0600."""
    var = tmp_path / "var"
    first = secrets.load_keys(environ={}, var_dir=var, local_keys_allowed=True)
    second = secrets.load_keys(environ={}, var_dir=var, local_keys_allowed=True)
    other = secrets.load_keys(
        environ={}, var_dir=tmp_path / "elsewhere", local_keys_allowed=True
    )
    assert first == second
    assert first != other
    assert first["SECRET_KEY"] != first["QUARTER_ID_HASH_KEY"]
    assert PUBLISHED not in first.values()
    path = var / secrets.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == first
    assert list(var.iterdir()) == [path]  # no temporary file left behind


def test_quarter_demo_settings_use_the_install_key(tmp_path):
    """With QUARTER_DEMO=1 (what `quarter demo` sets) settings read var/'s keys."""
    probe = "import django; django.setup(); from django.conf import settings; " + (
        "print(settings.SECRET_KEY, settings.QUARTER_ID_HASH_KEY)"
    )
    env = _env(tmp_path, QUARTER_DEMO="1", DJANGO_SETTINGS_MODULE="quarter.settings")
    runs = [_run([sys.executable, "-c", probe], env) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    stored = json.loads((tmp_path / "var" / secrets.KEY_FILE_NAME).read_text())
    assert runs[0].stdout.split() == [
        stored["SECRET_KEY"],
        stored["QUARTER_ID_HASH_KEY"],
    ]


def test_environment_keys_win_and_must_differ(tmp_path):
    keys = secrets.load_keys(
        environ={"SECRET_KEY": GOOD_SECRET, "QUARTER_ID_HASH_KEY": GOOD_ID_KEY},
        var_dir=tmp_path,
        local_keys_allowed=True,
    )
    assert keys == {"SECRET_KEY": GOOD_SECRET, "QUARTER_ID_HASH_KEY": GOOD_ID_KEY}
    assert not (tmp_path / secrets.KEY_FILE_NAME).exists()
    with pytest.raises(secrets.MissingKey, match="differ"):
        secrets.load_keys(
            environ={"SECRET_KEY": GOOD_SECRET, "QUARTER_ID_HASH_KEY": GOOD_SECRET},
            var_dir=tmp_path,
            local_keys_allowed=False,
        )


DEPLOY_ENV = {
    "DEBUG": "0",
    "QUARTER_HTTPS": "1",
    "ALLOWED_HOSTS": "quarter.example.cn",
    "CSRF_TRUSTED_ORIGINS": "https://quarter.example.cn",
    # Sign-up codes go out by SMS (the console sender is for the demo only).
    "QUARTER_SMS_BACKEND": "aliyun",
}


def test_check_deploy_is_clean_with_documented_production_settings(tmp_path):
    """README's production settings pass `manage.py check --deploy` with no warning."""
    done = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _env(
            tmp_path,
            SECRET_KEY=secrets.generate_key(),
            QUARTER_ID_HASH_KEY=secrets.generate_key(),
            **DEPLOY_ENV,
        ),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    readme = (ROOT / "README.md").read_text()
    for name, value in DEPLOY_ENV.items():
        assert f"{name}={value}" in readme, f"README documents {name}={value}"

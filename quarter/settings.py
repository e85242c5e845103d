"""Django settings for Quarter, driven by the environment (or a `.env` file).

DATABASE_URL   PostgreSQL in production; SQLite (WAL) under var/ when unset.
REDIS_URL      Redis for the voucher rush, cache and rate limits; optional.
SECRET_KEY     required when DEBUG is off outside tests and the demo.
QUARTER_TILES  map tile URL template; the map is drawn without tiles when unset.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_flag("DEBUG")
VAR_DIR = Path(os.environ.get("QUARTER_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or _env_flag("QUARTER_INSECURE_DEV_KEY", True):
        # Only for the laptop demo and tests; production sets SECRET_KEY.
        SECRET_KEY = "django-insecure-quarter-development-key-never-use-in-production"
    else:  # pragma: no cover - guarded by deployment check
        raise RuntimeError("SECRET_KEY must be set")

# Keyed hash for ID numbers (PIPL); separate from SECRET_KEY so sessions can rotate.
QUARTER_ID_HASH_KEY = os.environ.get("QUARTER_ID_HASH_KEY", SECRET_KEY)

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(
        ","
    )
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip()
    for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",")
    if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "quarter.places",
    "quarter.people",
    "quarter.coverage",
    "quarter.ledger",
    "quarter.vouchers",
    "quarter.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "quarter.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "quarter.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "quarter.core.context_processors.site",
            ],
            "builtins": ["quarter.core.templatetags"],
        },
    },
]

WSGI_APPLICATION = "quarter.wsgi.application"


def _database_config() -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    else:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "quarter.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside the writer; IMMEDIATE avoids
                # upgrade deadlocks when two requests write at once.
                # A writer queues for the lock up to 20 s: in a claim rush
                # every request writes, and SQLite's busy handler is not a
                # fair queue, so a short timeout fails the unlucky ones.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000;"
                ),
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
            # Keep each thread's connection instead of opening one per request.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    config["TEST"] = {"NAME": None}
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# --- serving and Redis Cluster (rushbench) -------------------------------------
# REDIS_URL=redis+cluster://host:port names a Redis Cluster: the claim engine and
# rate limits use redis-py's RedisCluster; Django's cache backend cannot, so the
# cache stays in the database (or REDIS_CACHE_URL, a plain Redis, when set).
REDIS_IS_CLUSTER = "+cluster://" in REDIS_URL
REDIS_CACHE_URL = os.environ.get("REDIS_CACHE_URL", "").strip() or (
    "" if REDIS_IS_CLUSTER else REDIS_URL
)
# --- end serving and Redis Cluster ---------------------------------------------
if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "quarter",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "quarter_cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(
    parents=True, exist_ok=True
)  # WhiteNoise serves finders; keep it quiet
_NODE = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/leaflet", _NODE / "leaflet" / "dist"),
    ("vendor/markercluster", _NODE / "leaflet.markercluster" / "dist"),
    ("vendor/chartjs", _NODE / "chart.js" / "dist"),
    ("vendor/jsqr", _NODE / "jsqr" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads live apart from static files and are served from their own path.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
QUARTER_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

QUARTER_TILES = os.environ.get("QUARTER_TILES", "").strip()
QUARTER_TILES_ATTRIBUTION = os.environ.get(
    "QUARTER_TILES_ATTRIBUTION", "© OpenStreetMap contributors"
)

# Login rate limit: attempts per window per (account, IP).
QUARTER_LOGIN_ATTEMPTS = int(os.environ.get("QUARTER_LOGIN_ATTEMPTS", "10"))
QUARTER_LOGIN_WINDOW_SECONDS = int(
    os.environ.get("QUARTER_LOGIN_WINDOW_SECONDS", "300")
)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if _env_flag("QUARTER_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

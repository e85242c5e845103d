"""Django settings for Quarter, driven by the environment (or a `.env` file).

DATABASE_URL   PostgreSQL in production; SQLite (WAL) under var/ when unset.
REDIS_URL      Redis for the voucher rush, cache and rate limits; optional.
SECRET_KEY, QUARTER_ID_HASH_KEY  required outside tests, the demo and DEBUG.
QUARTER_TILES  map tile URL template; the map is drawn without tiles when unset.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

from quarter.core.secrets import load_or_exit

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")


def _coverage_default_helpers() -> int:
    from quarter.coverage.parallel import default_helpers

    return default_helpers()


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_flag("DEBUG")
VAR_DIR = Path(os.environ.get("QUARTER_VAR_DIR", BASE_DIR / "var"))

# --- keys (secrets fail closed) --------------------------------------------------
# SECRET_KEY and QUARTER_ID_HASH_KEY come from the environment. Only the demo
# (`quarter demo` sets QUARTER_DEMO=1) and DEBUG may fall back to keys generated
# once per install in var/secret-keys.json (mode 0600); tests use
# quarter.settings_test. Otherwise the process stops with a one-line message.
# Rotation: README "安全 / Security".
_KEYS = load_or_exit(
    environ=dict(os.environ),
    var_dir=VAR_DIR,
    local_keys_allowed=DEBUG or _env_flag("QUARTER_DEMO"),
)
SECRET_KEY = _KEYS["SECRET_KEY"]
SECRET_KEY_FALLBACKS = _KEYS["SECRET_KEY_FALLBACKS"]
# Keyed hash for ID numbers (PIPL); never derived from SECRET_KEY, so sessions can
# rotate without re-hashing every stored ID number.
QUARTER_ID_HASH_KEY = _KEYS["QUARTER_ID_HASH_KEY"]
# --- end of keys ------------------------------------------------------------------

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
    "quarter.core.backoffice.QuarterAdminConfig",  # access: scoped back office
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
    "quarter.notifications",
    "quarter.card",
    "quarter.reviews",
    "quarter.referrals",  # sharing rewards (referrals helper)
    "quarter.board",  # board: notices, jobs (招工), suggestions (建议)
    "quarter.civic",  # civic: problem reports, dispatch, Open311
    "quarter.benefits",  # benefits helper: 免申即享
    "quarter.maps",  # maps helper: street layer, tile presets, location picker
    "quarter.indicators",  # indicators helper: circle indicator sheets
    "quarter.feed",  # feed helper: 为你推荐 and demand signals
    "quarter.surveys",  # surveys helper: 居民满意度测评
    "quarter.elder",  # 长辈模式: elder-mode display preference
    "quarter.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Refuses NUL characters in input with a 400 (PostgreSQL cannot store them).
    "quarter.core.inputs.RejectNulCharactersMiddleware",
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
        "NAME": (
            "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
        )
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
# --- Maps (quarter/maps, issue 12 "maps with streets") --------------------------
# QUARTER_MAP_PRESET: "" / streets (Quarter's own street layer, no outside
# service), tianditu (needs QUARTER_TIANDITU_TK), amap (GCJ-02, converted in the
# browser), xyz (QUARTER_TILES). Empty means xyz when QUARTER_TILES is set, else
# streets. quarter.maps.presets turns these into the page config and the CSP.
QUARTER_MAP_PRESET = os.environ.get("QUARTER_MAP_PRESET", "").strip().lower()
QUARTER_TIANDITU_TK = os.environ.get("QUARTER_TIANDITU_TK", "").strip()
QUARTER_TILES_SUBDOMAINS = os.environ.get("QUARTER_TILES_SUBDOMAINS", "abc").strip()

# --- login throttle (quarter/people/throttle.py) ----------------------------------
# Per (account, client IP) with exponential back-off, state in the database; the
# throttle backend runs first so the site's and the admin's login are covered.
AUTHENTICATION_BACKENDS = [
    "quarter.people.throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
QUARTER_LOGIN_FREE_ATTEMPTS = int(os.environ.get("QUARTER_LOGIN_FREE_ATTEMPTS", "5"))
QUARTER_LOGIN_IP_FREE_ATTEMPTS = int(
    os.environ.get("QUARTER_LOGIN_IP_FREE_ATTEMPTS", "30")
)
# Failures against one account from all addresses together, past which every
# address that never logged in to it waits (a guess spread over many IPs).
QUARTER_LOGIN_ACCOUNT_FREE_ATTEMPTS = int(
    os.environ.get("QUARTER_LOGIN_ACCOUNT_FREE_ATTEMPTS", "20")
)
QUARTER_LOGIN_ACCOUNT_MIN_SOURCES = 3
QUARTER_LOGIN_BASE_DELAY_SECONDS = 2
QUARTER_LOGIN_MAX_DELAY_SECONDS = 3600
QUARTER_LOGIN_WINDOW_SECONDS = 24 * 3600  # failures older than this are forgotten
# Behind a reverse proxy: the META key of the header it overwrites with the
# client's address (e.g. HTTP_X_REAL_IP); REMOTE_ADDR when empty.
QUARTER_CLIENT_IP_HEADER = os.environ.get("QUARTER_CLIENT_IP_HEADER", "").strip()
# --- end of login throttle --------------------------------------------------------

# Search detail is kept this many days, then folded into daily counts by
# `quarter manage aggregate_search_logs` (run it daily; quarter/places/searchlogs.py).
QUARTER_SEARCH_LOG_DAYS = int(os.environ.get("QUARTER_SEARCH_LOG_DAYS", "30"))

# Helper processes a coverage recompute shares its walking searches with
# (scipy's Dijkstra holds the GIL). Default: this process's cores less one, at
# most 3; 0 keeps every search in the process that asked.
QUARTER_COVERAGE_HELPERS = int(
    os.environ.get("QUARTER_COVERAGE_HELPERS", "").strip()
    or _coverage_default_helpers()
)

# --- register: SMS one-time codes, resident register import (people app) ---------
# Sender of one-time codes: "console" (log only: demo, tests) or "aliyun"
# (Alibaba Cloud SMS; see quarter/people/sms.py for its variables).
QUARTER_SMS_BACKEND = os.environ.get("QUARTER_SMS_BACKEND", "console").strip()
QUARTER_SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get(
    "QUARTER_SMS_ALIYUN_ACCESS_KEY_ID", ""
)
QUARTER_SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get(
    "QUARTER_SMS_ALIYUN_ACCESS_KEY_SECRET", ""
)
QUARTER_SMS_ALIYUN_SIGN_NAME = os.environ.get("QUARTER_SMS_ALIYUN_SIGN_NAME", "")
QUARTER_SMS_ALIYUN_TEMPLATE_CODE = os.environ.get(
    "QUARTER_SMS_ALIYUN_TEMPLATE_CODE", ""
)
# Notices (notification centre's optional SMS channel): an approved template
# whose one variable is ${content}.
QUARTER_SMS_ALIYUN_NOTICE_TEMPLATE_CODE = os.environ.get(
    "QUARTER_SMS_ALIYUN_NOTICE_TEMPLATE_CODE", ""
)
QUARTER_SMS_ALIYUN_ENDPOINT = os.environ.get(
    "QUARTER_SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"
)
QUARTER_SMS_ALIYUN_REGION = os.environ.get("QUARTER_SMS_ALIYUN_REGION", "cn-hangzhou")
QUARTER_SMS_CODE_TTL_SECONDS = int(
    os.environ.get("QUARTER_SMS_CODE_TTL_SECONDS", "300")
)
QUARTER_SMS_RESEND_SECONDS = int(os.environ.get("QUARTER_SMS_RESEND_SECONDS", "60"))
QUARTER_SMS_PER_PHONE_PER_HOUR = int(
    os.environ.get("QUARTER_SMS_PER_PHONE_PER_HOUR", "5")
)
QUARTER_SMS_PER_IP_PER_HOUR = int(os.environ.get("QUARTER_SMS_PER_IP_PER_HOUR", "20"))
QUARTER_SMS_CODE_MAX_ATTEMPTS = int(
    os.environ.get("QUARTER_SMS_CODE_MAX_ATTEMPTS", "5")
)
# Roster upload: size and row limits (the file is read in memory, never kept).
QUARTER_REGISTER_MAX_BYTES = 5 * 1024 * 1024
QUARTER_REGISTER_MAX_ROWS = 20000
# --- end register -----------------------------------------------------------------

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

# --- Security headers (issue 8, item 1) ----------------------------------------------
# Content-Security-Policy and Permissions-Policy come from
# quarter.core.middleware.SecurityHeadersMiddleware; SecurityMiddleware sends
# nosniff, Referrer-Policy and Cross-Origin-Opener-Policy. Scripts run only from
# our own static files: no inline script, no eval. Styles likewise: Leaflet,
# Chart.js and the admin set styles through the CSSOM (element.style), which a
# CSP does not restrict, and htmx's injected indicator <style> is turned off in
# base.html, so 'unsafe-inline' is not needed for style-src either. img-src adds
# the QUARTER_TILES host at start-up, and data: for the QR codes.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "quarter.core.middleware.SecurityHeadersMiddleware",
)
QUARTER_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "media-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# The till scans pay codes with the camera and the map may locate the user;
# every other powerful feature is off.
QUARTER_PERMISSIONS_POLICY = {
    "camera": "(self)",
    "geolocation": "(self)",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "serial": "()",
    "bluetooth": "()",
    "hid": "()",
    "midi": "()",
    "magnetometer": "()",
    "gyroscope": "()",
    "accelerometer": "()",
    "display-capture": "()",
    "fullscreen": "(self)",
    "interest-cohort": "()",
    "browsing-topics": "()",
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# django-ninja as an app: /api/docs then serves Swagger UI from our static files
# with no inline script (without it, ninja loads it from a CDN with inline code).
INSTALLED_APPS.append("ninja")
# A refusal (403) is one log line from quarter.security (path, user id, code),
# never a traceback; Django's own "Forbidden" line is dropped or shortened.
LOGGING.setdefault("filters", {})["one_line_forbidden"] = {
    "()": "quarter.core.middleware.OneLineForbidden"
}
for _name in ("django.request", "django.security.csrf"):
    LOGGING.setdefault("loggers", {})[_name] = {"filters": ["one_line_forbidden"]}
CSRF_FAILURE_VIEW = "quarter.core.middleware.csrf_failure"
# --- end security headers ------------------------------------------------------------

# --- community card (card app: quarter/card/) ------------------------------------
# QUARTER_CARD_KEY signs the card's rotating QR (quarter/card/tokens.py): from
# the environment, else derived from SECRET_KEY; an unusable value stops the
# process (quarter/card/keys.py). A QR token lives QUARTER_CARD_TOKEN_SECONDS.
from quarter.card.keys import card_key_or_exit  # noqa: E402

QUARTER_CARD_KEY = card_key_or_exit(environ=dict(os.environ), secret_key=SECRET_KEY)
QUARTER_CARD_TOKEN_SECONDS = 60
# --- end community card ----------------------------------------------------------
# --- reviews: ratings and the annual star evaluation (quarter/reviews) -------------
# A resident may rate within this many days of a visit or voucher payment.
QUARTER_REVIEWS_WINDOW_DAYS = int(os.environ.get("QUARTER_REVIEWS_WINDOW_DAYS", "30"))
# Bayesian smoothing: each merchant starts with this many ratings at the
# community mean (see quarter/reviews/scoring.py).
QUARTER_REVIEWS_PRIOR_WEIGHT = int(os.environ.get("QUARTER_REVIEWS_PRIOR_WEIGHT", "10"))
# Burst of new accounts: this many ratings of one merchant within the hours,
# from accounts younger than the days, are flagged for an operator.
QUARTER_REVIEWS_BURST_COUNT = int(os.environ.get("QUARTER_REVIEWS_BURST_COUNT", "3"))
QUARTER_REVIEWS_BURST_HOURS = int(os.environ.get("QUARTER_REVIEWS_BURST_HOURS", "24"))
QUARTER_REVIEWS_NEW_ACCOUNT_DAYS = int(
    os.environ.get("QUARTER_REVIEWS_NEW_ACCOUNT_DAYS", "7")
)
# Annual stars: merchants below this many stars are warned and may be removed
# if still below after this many days.
QUARTER_REVIEWS_STAR_BAR = int(os.environ.get("QUARTER_REVIEWS_STAR_BAR", "2"))
QUARTER_REVIEWS_IMPROVE_DAYS = int(os.environ.get("QUARTER_REVIEWS_IMPROVE_DAYS", "90"))
# --- end reviews ---------------------------------------------------------------------
# --- sharing rewards (quarter/referrals) ---------------------------------------------
# A referrer earns at most this much per calendar month (fen; default ¥200); a reward
# becomes withdrawable this many days after the payment (the refund window).
QUARTER_REFERRAL_MONTHLY_CAP_FEN = int(
    os.environ.get("QUARTER_REFERRAL_MONTHLY_CAP_FEN", "20000")
)
QUARTER_REFERRAL_WINDOW_DAYS = int(os.environ.get("QUARTER_REFERRAL_WINDOW_DAYS", "7"))
# --- end sharing rewards --------------------------------------------------------------
# --- 长辈模式 (quarter/elder): every template knows whether elder mode is on ------
TEMPLATES[0]["OPTIONS"]["context_processors"].append(
    "quarter.elder.context_processors.elder"
)
# --- end 长辈模式 -----------------------------------------------------------------

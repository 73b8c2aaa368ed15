"""Settings of the ltci platform, read from the environment.

LTCI_ENV        development (default) | production
LTCI_DEMO       1 = demo mode: demo accounts log in with the printed password (never in production)
LTCI_SECRET_KEY required in production; elsewhere one is made once and kept in var/secret_key
DATABASE_URL    default sqlite:///var/ltci.sqlite3 (WAL); postgres://... for PostgreSQL
LTCI_ALLOWED_HOSTS  comma-separated host names (production)
LTCI_LOG_FORMAT json | plain (default json in production, plain in development)
LTCI_METRICS_ALLOWED  addresses or CIDR networks /metrics answers (default loopback only)
The full list, with the rest, is in the README's production guide.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ltci import keep_files_private
from ltci.core.logs import default_format as default_log_format

keep_files_private()  # everything created under var/ from here on: files 0600, folders 0700

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LTCI_VAR_DIR", BASE_DIR / "var"))

ENV = os.environ.get("LTCI_ENV", "development")
if ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"LTCI_ENV must be development or production, not {ENV!r}")
PRODUCTION = ENV == "production"
DEMO_MODE = os.environ.get("LTCI_DEMO", "0") == "1" and not PRODUCTION
DEBUG = os.environ.get("LTCI_DEBUG", "0") == "1" and not PRODUCTION


def _secret_key() -> str:
    key = os.environ.get("LTCI_SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("LTCI_SECRET_KEY must be set in production (LTCI_ENV=production): a long random "
                                   "string kept secret, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(64))'`")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LTCI_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    # Project apps first: their templates and commands take precedence.
    "ltci.core",
    "ltci.regions",
    "ltci.accounts",
    "ltci.audit",
    "ltci.providers",
    "ltci.enrolment",
    "ltci.contributions",
    "ltci.assessment",
    "ltci.care",
    "ltci.fund",
    "ltci.settlement",
    "ltci.supervision",
    "ltci.dualcontrol",
    "ltci.cockpit",
    "ltci.portal",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI from its own static files, not a CDN
    "axes",
    "django_tasks",
    "django_tasks_db",
]

# Long work (imports, billing, settlement, screening, the schedule's runs) is a task kept in the
# database and run by `ltci worker` (decision 0024); pages only enqueue it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "ltci.core.logs.RequestLogMiddleware",  # first: the request id and the request's log line cover all below
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ltci.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ltci.core.middleware.SessionRenewalMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ltci.core.middleware.EdgeMiddleware",  # before the CSRF check, which reads the form
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ltci.core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # last: counts by view name and status
]

ROOT_URLCONF = "ltci.urls"
WSGI_APPLICATION = "ltci.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ltci.core.context_processors.console",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ltci.sqlite3'}"),
        # Persistent connections in production; a PostgreSQL connection costs a server process's start.
        conn_max_age=int(os.environ.get("LTCI_DB_CONN_MAX_AGE", "60" if PRODUCTION else "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while a batch writes; IMMEDIATE avoids lock upgrades mid-transaction.
        # A 64 MB page cache per connection (SQLite's default is 8 MB) for city-sized imports. Temporary
        # tables (an import's bookkeeping) stay on disk: in memory they would grow with the file.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; "
                        "PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
    }

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the platform's queries are short, and PostgreSQL's JIT spends seconds compiling
    # a city-sized aggregate that runs in less (docs/decisions/0027). LTCI_DB_PG_OPTIONS="" sends no
    # options (a connection pooler that refuses startup parameters).
    pg_options = os.environ.get("LTCI_DB_PG_OPTIONS", "-c jit=off")
    if pg_options:
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", pg_options)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ltci.accounts.backends.AccountBackend",  # Django's, refusing demo accounts outside demo mode
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins are counted per username, so that one person's typos cannot lock out an office's
# shared IP address, and guessing one account's password is stopped whatever the address.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
# axes warns that username-only lockout lets an attacker rotate usernames from one address; that
# is the trade-off chosen (docs/decisions/0001): bureaus and institutions share one NAT address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Sessions end after 30 idle minutes: activity renews the 30 minutes, at most once a minute
# (ltci.core.middleware.SessionRenewalMiddleware), so an idle session ends 29 to 30 minutes on.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_AFTER = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; kept default

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
UPLOAD_DIR = VAR_DIR / "uploads"  # imported files, kept with their job for the record
TRIALS_DIR = VAR_DIR / "trials"  # the per-person workbooks of draft policy trials (ltci/fund/trials.py)
SETTLEMENT_FACTS_DIR = VAR_DIR / "settlement-facts"  # the facts each month was settled on (ltci/settlement/facts.py)
FILE_UPLOAD_PERMISSIONS = 0o600  # Django's default, 0644, would undo the umask for stored files
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Imports and billing started from a page run in a thread of the serving process; tests run them inline.
JOBS_IN_BACKGROUND = os.environ.get("LTCI_JOBS_BACKGROUND", "1") == "1"
MAX_IMPORT_BYTES = int(os.environ.get("LTCI_MAX_IMPORT_MB", "1024")) * 1024 * 1024
MATERIAL_MAX_BYTES = int(os.environ.get("LTCI_MAX_MATERIAL_MB", "10")) * 1024 * 1024  # application materials, visit photos
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Tests and a fresh checkout without collectstatic still find the app's own files.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Pages load scripts, styles, images and fonts from this site only: no inline script or style (each
# page's script is a static file), no plugin, no framing, forms posted here only. Swagger UI
# (/api/docs) draws its icons from data: URIs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("LTCI_SSL_REDIRECT", "1") == "1"
    SECURE_REDIRECT_EXEMPT = [r"^metrics$"]  # Prometheus may scrape the server itself over loopback
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS]

# One JSON object per line in production, the human format in development; LTCI_LOG_FORMAT=json|plain
# chooses either way (ltci/core/logs.py, docs/decisions/0025). ID numbers are masked in both.
LOG_FORMAT = default_log_format(PRODUCTION, os.environ.get("LTCI_LOG_FORMAT"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_ids": {"()": "ltci.audit.masking.MaskIdNumbersFilter"}},
    "formatters": {
        "plain": {"()": "ltci.core.logs.PlainFormatter"},
        "json": {"()": "ltci.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_ids"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LTCI_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # one INFO line per layout step of every PDF
        "fontTools": {"level": "WARNING"},
    },
}

# /metrics (Prometheus) answers these addresses or networks only, others get 404 (ltci/core/metrics.py).
METRICS_ALLOWED = os.environ.get("LTCI_METRICS_ALLOWED", "127.0.0.0/8,::1")
for _network in filter(None, (n.strip() for n in METRICS_ALLOWED.split(","))):
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"LTCI_METRICS_ALLOWED: {_network!r} is not an address or network ({exc})") from exc
PROMETHEUS_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf"))

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # What every serving process gives alike (ltci.core.shared): made once for all of them.
    "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ltci_shared_cache"},
}
NINJA_PAGINATION_PER_PAGE = 20  # as the pages (ltci.core.paging.PER_PAGE)
NINJA_PAGINATION_CLASS = "ltci.core.paging.CappedLimitOffset"  # counts stop at a city's sizes
NINJA_PAGINATION_MAX_LIMIT = 500

# The demo users' password, printed by `make run`; demo accounts are refused outside demo mode
# (ltci.accounts.backends), whatever their password.
DEMO_PASSWORD = "ltci-demo-2026"

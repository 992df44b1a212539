"""Settings for every environment, read from the environment.

No variables set gives the embedded default: a SQLite file under var/, Celery tasks
executed in-process, uploads under media/. DATABASE_URL and REDIS_URL switch to
PostgreSQL and a real broker with separate worker processes.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)
_secret = env_str("DJANGO_SECRET_KEY")
if _secret is None:
    if not DEBUG and env_str("DATABASE_URL") is not None and not env_bool("DJANGO_ALLOW_DEMO_SECRET"):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set outside DEBUG and the embedded demo")
    _secret = "insecure-demo-key-only-for-the-embedded-default"
SECRET_KEY: str = _secret
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, overridden in templates/django/forms/ (Designsystemet classes)
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: no CDN, CSP-friendly
    "cases",
    "imports",
    "allocation",
    "config.demo",  # seed_demo and run_demo_job: the demo municipality, depending on every app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",
    "config.input_guard.RejectNulQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.locale.SwedishByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.csp.PrivateNoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

# Form widgets render through TEMPLATES, so templates/django/forms/ can give fields the design system's class.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cases.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "var" / "db.sqlite3"),
            # The demo runs imports in the web process; wait for a lock instead of failing.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                # WAL lets pages read while an import writes; NORMAL sync is safe with WAL.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite (the demo) cannot express NULLS NOT DISTINCT (W047) or deferrable uniqueness (W038);
# PostgreSQL enforces both, and migration cases.0004 gives SQLite a plain unique index instead.
SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W038"]

AUTHENTICATION_BACKENDS = ["config.auth.LockoutModelBackend"]
LOGIN_LOCKOUT_ATTEMPTS = env_int("LOGIN_LOCKOUT_ATTEMPTS", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
# Wrong API tokens from one address: after this many within the window, 429 until it ends.
TOKEN_FAILURE_LIMIT = env_int("TOKEN_FAILURE_LIMIT", 20)
TOKEN_FAILURE_SECONDS = env_int("TOKEN_FAILURE_SECONDS", 600)
# Behind a reverse proxy the client's address is in a header the proxy sets (e.g.
# X-Forwarded-For); its right-most entry is the one our own proxy added. Empty: REMOTE_ADDR.
CLIENT_ADDRESS_HEADER = env_str("CLIENT_ADDRESS_HEADER", "") or ""

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Swedish first: the users are Swedish municipal staff. English is one click away.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploaded case logs are kept for the record, outside the web root, never served directly.
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")) or "")
MEDIA_URL = "/media-not-served/"

# Sessions are read from the per-process cache, falling back to the database: one query fewer
# on every page view of a logged-in user.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A session ends after SESSION_IDLE_SECONDS without a request, and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Messages (an API token's key among them, once) live in the server-side session, not a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# One cache for all processes when Redis is there (login lockout counters, sessions, pages).
if env_str("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_CACHE_URL", env_str("REDIS_URL")),
            "KEY_PREFIX": "costshare",
        }
    }

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
# Without a broker every task runs in-process, at commit, in the caller's thread.
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# The longest task (a 3 M row import) runs for minutes; the soft limit lets it mark itself failed.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1800)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1900)
# Must exceed the hard time limit, or Redis redelivers a running task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "costshare") or "costshare"
# Imports, publications and mail each on a queue of their own (config.celery.TASK_QUEUES).
CELERY_TASK_ROUTES = ("config.celery.route_task",)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat checks daily; the working day itself is set by finance staff (PublicationSchedule in the admin).
CELERY_BEAT_SCHEDULE = {
    "publish-due-month": {"task": "allocation.publish_due", "schedule": 6 * 3600},
    "sweep-stuck-imports": {"task": "imports.sweep_stuck_batches", "schedule": 300},
    "sweep-stuck-publications": {"task": "allocation.sweep_stuck_publications", "schedule": 300},
    # Notifications left in the outbox (the broker was down, a worker died) are sent here.
    "send-notifications": {"task": "cases.send_notifications", "schedule": 300},
}

# --- E-mail (notifications) -------------------------------------------------------------
# Without EMAIL_HOST mail is written to the console (the demo); set it for real SMTP.
EMAIL_HOST = env_str("EMAIL_HOST", "") or ""
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kontaktcenter@localhost") or "kontaktcenter@localhost"
# Headless Chromium that prints decision memos to PDF (Debian's `chromium` package).
MEMO_PDF_CHROMIUM = env_str("MEMO_PDF_CHROMIUM", "/usr/bin/chromium") or "/usr/bin/chromium"
# A memo PDF is printed by one Chromium at a time, in a child process killed after this long.
MEMO_PDF_SECONDS = env_int("MEMO_PDF_SECONDS", 60)
# The address links in e-mails point at.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000") or "http://127.0.0.1:8000"

# --- Import limits -----------------------------------------------------------------------
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5_000_000)
IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES", 512 * 1024 * 1024)
IMPORT_STORED_ERRORS = env_int("IMPORT_STORED_ERRORS", 10_000)
# An XLSX's shared strings are read whole before its first row: bound them by size and count.
IMPORT_MAX_XLSX_SHARED_STRINGS = env_int("IMPORT_MAX_XLSX_SHARED_STRINGS", 2_000_000)
IMPORT_MAX_XLSX_SHARED_STRINGS_BYTES = env_int("IMPORT_MAX_XLSX_SHARED_STRINGS_BYTES", 128 * 1024 * 1024)
# Uploads per user, whichever way they come (admin page, web, API, command with --user).
UPLOAD_THROTTLE_RATE = env_str("UPLOAD_THROTTLE_RATE", "120/hour") or "120/hour"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# A CSV row is read whole into memory: bound its length and its number of fields.
IMPORT_MAX_CSV_LINE_BYTES = env_int("IMPORT_MAX_CSV_LINE_BYTES", 1024 * 1024)
IMPORT_MAX_CSV_FIELDS = env_int("IMPORT_MAX_CSV_FIELDS", 1000)

# --- Keys --------------------------------------------------------------------------------
# Warnings stored on one key; the rest are counted in a last warning.
KEY_MAX_WARNINGS = env_int("KEY_MAX_WARNINGS", 50)

# --- API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an API call without valid credentials gets 401 with WWW-Authenticate: Token.
        "config.auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only: people read the API's description at /api/v1/docs/; the browsable HTML renderer
    # would be a second, unreviewed user interface (and fails WCAG: no page language, no names).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kontaktcenter – medfinansiering API",
    "DESCRIPTION": "Case-log imports, administrations, groupings and allocation of the contact centre's cost.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Anonymous users get nothing but the login page, the API's description included.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ImportFormatEnum": "imports.models.ImportBatch.Kind",
        "ImportStatusEnum": "imports.models.ImportBatch.Status",
        "KeyKindEnum": "allocation.models.AllocationKey.Kind",
        "KeyStatusEnum": "allocation.models.AllocationKey.Status",
        "KeyBasisEnum": "allocation.models.AllocationKey.Basis",
        "RoundingUnitEnum": "allocation.models.CostPool.Unit",
        "ValueKeyKindEnum": ["driver", "fixed"],
        "DecisionEnum": ["proposed", "approved", "rejected"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_SECURE", default=False):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

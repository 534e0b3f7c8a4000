"""One settings module, driven by environment variables.

With no variables set this is the *embedded* setup: SQLite in WAL mode, media under ./var/media,
Celery over kombu's filesystem transport (no server) and DEBUG on. Production sets at least
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and CELERY_BROKER_URL; DEBUG is then off unless asked for.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MESTUDIO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "", sep: str = ",") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(sep) if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
EMBEDDED = not SECRET_KEY
if EMBEDDED:
    # The embedded run is local only; a fixed key keeps sessions across restarts.
    SECRET_KEY = "embedded-insecure-key-do-not-use-in-production-7c1f0e2a9b"

DEBUG = env_bool("DEBUG", EMBEDDED)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if EMBEDDED else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "annotator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mestudio.middleware.DatabaseBusyMiddleware",  # SQLite locked past its timeout: 503, not 500
]

ROOT_URLCONF = "mestudio.urls"
WSGI_APPLICATION = "mestudio.wsgi.application"

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
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "mestudio.sqlite3"
# Persistent connections: each gunicorn thread keeps its own for 10 minutes instead of paying a
# PostgreSQL backend start on every request; the health check (a SELECT 1 when a request first uses
# a kept connection) replaces one the server dropped (restart, failover) instead of failing the request.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the worker write while the web process reads; IMMEDIATE avoids lock upgrades.
        # A write that meets another's lock waits up to `timeout` seconds (imports write in one
        # short bulk transaction), then answers 503 (mestudio.middleware), never 500.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif os.environ.get("MESTUDIO_TEST_DB_NAME"):
    # Concurrent test runs on one PostgreSQL server each need their own test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["MESTUDIO_TEST_DB_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dataset_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Server-directory imports from the page or API must resolve inside one of these roots.
IMPORT_ROOTS = [Path(p) for p in env_list("IMPORT_ROOTS", "", sep=":")]
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(20 * 1024**3)))

# Object storage (S3, MinIO, ...) when a bucket is named; media stays on MEDIA_ROOT otherwise.
# Workers still build frame stores under MEDIA_ROOT (a local cache read by index) and publish them
# to the bucket (mestudio.storage); the chunk endpoint then redirects to signed URLs.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME", "us-east-1")
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID") or None
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY") or None
AWS_S3_ADDRESSING_STYLE = "path"  # MinIO and moto serve path-style URLs
AWS_S3_SIGNATURE_VERSION = "s3v4"
AWS_QUERYSTRING_EXPIRE = int(os.environ.get("AWS_QUERYSTRING_EXPIRE", "3600"))
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = True  # published files are keyed by content location; a retry rewrites them
DEFAULT_FILE_BACKEND = (
    "storages.backends.s3.S3Storage"
    if AWS_STORAGE_BUCKET_NAME
    else "django.core.files.storage.FileSystemStorage"
)

STORAGES = {
    "default": {"BACKEND": DEFAULT_FILE_BACKEND},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 200,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mestudio API",
    "DESCRIPTION": "Micro-expression corpora: datasets, videos, intervals, predictions, jobs.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One schema name per choice set that several models share.
    "ENUM_NAME_OVERRIDES": {
        "IntervalKindEnum": "annotator.models.intervals.IntervalKind",
        "ReviewStateEnum": "annotator.models.review.ReviewState",
        "JobStateEnum": "annotator.models.jobs.Job.State",
        "IngestStateEnum": "annotator.models.videos.IngestState",
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    # Above the longest task time limit, so Redis does not redeliver a task that is still running;
    # fault tests set a short one to see an unacked task of a killed worker come back.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT_S", str(13 * 3600))),
        # How often an idle worker looks for unacked tasks past that timeout (kombu: 10 x 10 s).
        "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_S", "10")),
        "unacked_restore_throttle": 1 if "CELERY_UNACKED_RESTORE_S" in os.environ else 10,
    }
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_DEFAULT_QUEUE = "io"
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Each job kind has its own queue and time limit (annotator.jobs.job_handler); these are ceilings.
CELERY_TASK_TIME_LIMIT = 6 * 3600
CELERY_TASK_SOFT_TIME_LIMIT = 6 * 3600 - 60
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-jobs": {"task": "jobs.sweep", "schedule": 60.0},
}
# Model workers free the memory torch keeps after each task by restarting their child now and then.
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_TASKS_PER_CHILD", "0")) or None
# A job whose heartbeat is older than this is marked failed by the sweeper.
JOB_HEARTBEAT_TIMEOUT_S = int(os.environ.get("JOB_HEARTBEAT_TIMEOUT_S", "300"))

# --- production hardening -------------------------------------------------------------------
if not EMBEDDED:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container healthchecks speak plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

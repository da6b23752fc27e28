"""CareHub settings: one module, every value from the environment.

DEBUG is off unless asked for. With DEBUG off CareHub runs in production mode and
refuses to start without a real SECRET_KEY and ALLOWED_HOSTS (see ``_require_production``).
Every variable is documented in README.md and .env.example.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("CAREHUB_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# The embedded demo (`make run`): seed_demo allowed, demo conveniences on. Never in production.
CAREHUB_DEMO = DEBUG and env.bool("CAREHUB_DEMO", default=False)

INSECURE_KEY_PREFIX = "django-insecure-"


def _dev_secret_key() -> str:
    """A key generated once per checkout and kept under var/, so the web process,
    the worker and restarts share it. Only ever used when DEBUG is on."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(INSECURE_KEY_PREFIX + secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or (_dev_secret_key() if DEBUG else "")
# Rotating the key: the earlier keys, comma-separated, while the new one takes over.
# Sessions and signed links (a receiving service's response link) made with them stay
# valid until they expire; drop them once those have. API tokens do not depend on it.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# How many proxies in front of CareHub append to X-Forwarded-For (0: reached directly,
# the header is ignored). The one rule for the client address: carehub/client_address.py.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")


def _real_key(key: str) -> bool:
    return len(key) >= 50 and not key.startswith(INSECURE_KEY_PREFIX)


def _require_production() -> None:
    problems = []
    if not _real_key(SECRET_KEY):
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if not all(_real_key(key) for key in SECRET_KEY_FALLBACKS):
        problems.append("each of SECRET_KEY_FALLBACKS must be a random value of 50+ characters")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the host names CareHub is served under")
    if problems:
        raise ImproperlyConfigured(
            "CareHub runs in production mode (DEBUG is off) and refuses to start: "
            + "; ".join(problems)
            + ". Set DEBUG=true only for local development."
        )


if not DEBUG:
    _require_production()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "phonenumber_field",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Triggers and the field history they write (audit/history.py); PostgreSQL only.
    "pgtrigger",
    "pghistory",
    "accounts",
    "audit",
    "patients",
    "directory",
    "careplans",
    "referrals",
    "reminders",
    "assessments",
    "programs",
    "benefits",
    "encounters",
    "interfaces",
    "dashboards",
    "api",
    "fhir_export",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL character in a query parameter: 400 before anything reads it (PostgreSQL).
    "carehub.middleware.RefuseNullCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.OTPMiddleware",  # django-otp's, reading the user's device with them
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "carehub.middleware.NoStoreMiddleware",
    # The field history's who and from where (PostgreSQL): before the audit row's writer.
    "audit.middleware.HistoryContextMiddleware",
    "audit.middleware.AuditMiddleware",
    # Last, so it sees the sign-in attempts the views handle (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = env.str("ROOT_URLCONF", default="carehub.urls")
WSGI_APPLICATION = "carehub.wsgi.application"

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
                "django.template.context_processors.tz",
                "accounts.context_processors.navigation",
                "reminders.context_processors.notifications",
            ],
            # {{ record|label:"status" }}: a choice's label without get_FOO_display's cost.
            "builtins": ["carehub.labels"],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite under var/ by default; PostgreSQL (psycopg 3) through DATABASE_URL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'carehub.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Django's backend with SQLite's real bind-parameter limit (carehub/overrides).
    DATABASES["default"]["ENGINE"] = "carehub.overrides.sqlite"
    # Tests in memory, as Django does for its own SQLite engine; said outright because
    # pytest-django recognises only that engine's name and would otherwise give each
    # xdist worker a file name ("..._gw0") that cannot be opened.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # Several processes (web, worker, beat) share the file: wait for locks rather than
    # failing, and take the write lock when a transaction starts, not half-way through.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A new PostgreSQL connection costs ~5 ms: keep them (PERFORMANCE.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Behind pgbouncer in transaction pooling mode, a server-side cursor (QuerySet.iterator())
    # would outlive the pooled transaction it was opened in: turn them off there.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DISABLE_SERVER_SIDE_CURSORS", default=False
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses sign-in while a username is locked out.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with roles and permissions read in one query (accounts/backends.py).
    "accounts.backends.RoleBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Absolute session limit (12 h) and idle sign-out (15 min): accounts.middleware.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=int(timedelta(hours=12).total_seconds()))
SESSION_IDLE_TIMEOUT = env.int(
    "SESSION_IDLE_TIMEOUT", default=int(timedelta(minutes=15).total_seconds())
)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="CareHub")

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Sign-in lockout (accounts/lockout.py): 5 failures of one username from one address,
# 20 from one address, 50 of one username from anywhere, within the cool-off time.
AXES_HANDLER = "accounts.lockout.SignInLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
SIGN_IN_ADDRESS_FAILURE_LIMIT = env.int("SIGN_IN_ADDRESS_FAILURE_LIMIT", default=20)
SIGN_IN_ACCOUNT_FAILURE_LIMIT = env.int("SIGN_IN_ACCOUNT_FAILURE_LIMIT", default=50)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password"]
# The client address by the one rule of carehub/client_address.py (TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "carehub.client_address.client_address"

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static files (served by WhiteNoise, never from a CDN) --------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email -------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CareHub <carehub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery --------------------------------------------------------------------------------
# Redis through REDIS_URL; otherwise kombu's filesystem transport under var/broker, which
# needs no server and is shared by the web process, the worker and beat on one machine.
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any task, so Redis does not redeliver a message still being worked.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
    }
else:
    (BROKER_DIR / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        # Broadcasts (the control exchange) under var/ too, not in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
if not DEBUG and (
    CELERY_BROKER_URL == "filesystem://" or "sqlite" in DATABASES["default"]["ENGINE"]
):
    # The embedded parts serve one machine's demo: a file database and a folder broker
    # lose work under several processes on several machines, and back up as nothing.
    raise ImproperlyConfigured(
        "CareHub runs in production mode (DEBUG is off) and refuses to start: "
        "DATABASE_URL must name a PostgreSQL database and REDIS_URL a Redis server "
        "(SQLite and the filesystem broker are for the embedded demo only). "
        "Set DEBUG=true only for local development."
    )
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The worker and beat log through LOGGING's filtered handler (no query strings, no
# database error messages, no credentials) instead of replacing it with their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Interfaces: HL7 v2 ADT over MLLP (interfaces/mllp.py) -----------------------------------
ADT_MLLP_HOST = env("ADT_MLLP_HOST", default="127.0.0.1")
ADT_MLLP_PORT = env.int("ADT_MLLP_PORT", default=2575)
# A longer block is answered AR and the connection closed (ADT messages are a few KB).
ADT_MLLP_MAX_MESSAGE_BYTES = env.int("ADT_MLLP_MAX_MESSAGE_BYTES", default=1024 * 1024)

# --- Caches ------------------------------------------------------------------------------
# ``throttle`` holds the API's request counters (api/throttling.py): in process memory by
# default; in Redis when REDIS_URL is set, so every web worker counts against one limit.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Drawn dashboards (dashboards/freshness.py): inside each web process, so patient data
    # never leaves it; entries are replaced, not invalidated, when their data changes.
    "dashboards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "dashboards",
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": env.int("CAREHUB_DASHBOARD_CACHE_ENTRIES", default=2000)},
    },
    "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    if not REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "carehub-throttle",
        # Loopback or same-network Redis answers in a millisecond: a quarter second means
        # it hangs. api/throttling.py then stops asking it for THROTTLE_BREAKER_COOLDOWN.
        "OPTIONS": {
            "socket_timeout": env.float("THROTTLE_REDIS_TIMEOUT", default=0.25),
            "socket_connect_timeout": env.float("THROTTLE_REDIS_TIMEOUT", default=0.25),
            "retry_on_timeout": False,
        },
    },
}
# Seconds the API throttle skips its Redis cache after a failure (carehub/circuit.py).
THROTTLE_BREAKER_COOLDOWN = env.float("THROTTLE_BREAKER_COOLDOWN", default=15.0)

# --- Django REST framework: /api/v1/ (api/) and the FHIR export (fhir_export/, at /fhir/) ----
REST_FRAMEWORK = {
    # The token first: its WWW-Authenticate header makes DRF answer 401 without credentials.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.authentication.TokenScopePermission",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser, refusing lone surrogates anywhere in a body (api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.UserRateThrottle",
        "api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.CareHubAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": False,
    # api/throttling.py takes the address from carehub/client_address.py; this keeps
    # DRF's own get_ident (should anything call it) from trusting X-Forwarded-For.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# Requests per user (signed in or token) and per anonymous client address.
API_THROTTLE_RATES = {
    "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
    # Not the API: the receiving service's link page, per client address.
    "referral_link": env.str("REFERRAL_LINK_THROTTLE", default="30/minute"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CareHub API",
    "DESCRIPTION": (
        "Patients, care plans, goals, tasks, referrals and the service directory; needs "
        "assessments, program enrolments and attendance, coverage, prior authorisations and "
        "benefit applications: with the same scope and rules as the pages. Authenticate "
        "with a session (the browser) or an API token (`Authorization: Bearer chk_...`, "
        "made on your Security page). "
        "Records outside your care teams answer 404. Writes carry the version you loaded "
        "(body `version` or `If-Match`): a stale one answers 412. State changes are "
        "`POST .../{id}/transition` with `to` and `reason`; a move the state machine does "
        "not allow answers 409 with the current and allowed states."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PatientStatusEnum": "patients.models.PatientStatus",
        "CarePlanStatusEnum": "careplans.models.CarePlanStatus",
        "GoalStatusEnum": "careplans.models.GoalStatus",
        "TaskStatusEnum": "careplans.models.TaskStatus",
        "ReferralStatusEnum": "referrals.models.ReferralStatus",
        "NeedCategoryEnum": "careplans.models.NeedCategory",
        "ServiceCategoryEnum": "referrals.models.ServiceCategory",
        "GoalPriorityEnum": "careplans.models.GoalPriority",
        "RequestPriorityEnum": "referrals.models.Priority",
        "TaskPriorityEnum": "careplans.models.TaskPriority",
        "ReminderChannelEnum": "reminders.models.ReminderChannel",
        "ContactChannelEnum": "referrals.models.ContactChannel",
        "ReminderStateEnum": "reminders.models.ReminderState",
        "ReminderKindEnum": "reminders.models.ReminderKind",
        "NeedStatusEnum": "assessments.models.NeedStatus",
        "EnrolmentStatusEnum": "programs.models.EnrolmentStatus",
        "SessionStatusEnum": "programs.models.SessionStatus",
        "CoverageStatusEnum": "benefits.models.CoverageStatus",
        "ApplicationStatusEnum": "benefits.models.ApplicationStatus",
        "DocumentStatusEnum": "benefits.models.DocumentStatus",
        # A need's severity has the same three values: one name for both.
        "RiskLevelEnum": "patients.models.RiskLevel",
    },
    # drf-spectacular's own enum hook, then the links from a record's answers to the
    # operations on it (api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_record_links",
    ],
}

# --- Content Security Policy: our own files only, no inline script ---------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Security (production mode) ------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a TLS-terminating proxy (docker-compose, a load balancer).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The health check is probed over plain HTTP inside the deployment network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Logging: no PHI. Request lines carry paths (ids), never query strings. ----------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "strip_query_strings": {"()": "carehub.logging.StripQueryStrings"},
        "withhold_database_errors": {"()": "carehub.logging.WithholdDatabaseErrorMessages"},
        "mask_credentials": {"()": "carehub.logging.MaskCredentials"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            # Order matters: the database filter writes the traceback text, then
            # credentials are masked in everything, that text included.
            "filters": ["strip_query_strings", "withhold_database_errors", "mask_credentials"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's defaults give "django" a handler of its own (unfiltered, DEBUG only) and
        # mail to ADMINS (with the request): replaced by the filtered handler alone.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "py.warnings": {"handlers": ["console"], "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # The development server's access log, through the filtered handler.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# A migration that would drop the field history tables (a step back past a
# *_field_history migration) is refused unless this is set (audit/migration_guard.py).
ALLOW_HISTORY_DROP = env.bool("CAREHUB_ALLOW_HISTORY_DROP", default=False)

# --- Reminders (reminders/, DOMAIN.md "Reminders", RELIABILITY.md) -------------------------
# The dispatcher (every minute, django-celery-beat) claims due rows for this long; a claim
# left by a dead worker returns to "scheduled" after it. Longer than a send task may run
# (CELERY_TASK_TIME_LIMIT) plus its wait in the queue.
REMINDERS_CLAIM_TIMEOUT = timedelta(seconds=env.int("REMINDERS_CLAIM_TIMEOUT", default=900))
# A send is not started on a claim that ends sooner than this (one send's worst case).
REMINDERS_SEND_MARGIN = timedelta(seconds=env.int("REMINDERS_SEND_MARGIN", default=60))
REMINDERS_CLAIM_BATCH = env.int("REMINDERS_CLAIM_BATCH", default=500)  # rows per claim
REMINDERS_SEND_BATCH = env.int("REMINDERS_SEND_BATCH", default=100)  # ids per send task
# Emails and texts of a send task are started and marked sent this many at a time: a worker
# killed mid-group may resend at most this many (counted as uncertain, RELIABILITY.md).
REMINDERS_SEND_GROUP = env.int("REMINDERS_SEND_GROUP", default=10)
REMINDERS_DISPATCH_MAX = env.int("REMINDERS_DISPATCH_MAX", default=50000)  # rows per run
# The send task's markers commit asynchronously on PostgreSQL (see
# reminders.delivery.BatchSender._fast_commits); a database server crash may then resend
# the last ~0.6 s of reminders.
REMINDERS_ASYNC_COMMIT = env.bool("REMINDERS_ASYNC_COMMIT", default=True)
# Retention (reminders/retention.py, README "Operations"), in days.
REMINDERS_RETENTION = timedelta(days=env.int("REMINDERS_RETENTION_DAYS", default=90))
NOTIFICATIONS_RETENTION = timedelta(days=env.int("NOTIFICATIONS_RETENTION_DAYS", default=90))
NOTIFICATIONS_UNREAD_RETENTION = timedelta(
    days=env.int("NOTIFICATIONS_UNREAD_RETENTION_DAYS", default=365)
)
# /healthz says the outbox is down when its oldest due, unsent reminder is older than this.
HEALTH_OUTBOX_MAX_AGE = timedelta(seconds=env.int("HEALTH_OUTBOX_MAX_AGE", default=600))
REMINDERS_MAX_ATTEMPTS = env.int("REMINDERS_MAX_ATTEMPTS", default=5)
# Transient failures retry after base * 2**(attempts - 1), at most the cap.
REMINDERS_RETRY_BASE = timedelta(seconds=env.int("REMINDERS_RETRY_BASE", default=60))
REMINDERS_RETRY_CAP = timedelta(seconds=env.int("REMINDERS_RETRY_CAP", default=3600))
# Patient messages are not sent in these local hours (the patient's time zone); one due
# inside them waits for their end. "HH:MM-HH:MM", may span midnight.
REMINDERS_QUIET_HOURS = env.str("REMINDERS_QUIET_HOURS", default="20:00-08:00")
REMINDERS_APPOINTMENT_LEAD = timedelta(
    hours=env.int("REMINDERS_APPOINTMENT_LEAD_HOURS", default=24)
)
REMINDERS_OVERDUE_AFTER = timedelta(hours=env.int("REMINDERS_OVERDUE_AFTER_HOURS", default=24))
REMINDERS_ESCALATE_AFTER = timedelta(hours=env.int("REMINDERS_ESCALATE_AFTER_HOURS", default=24))
REMINDERS_DIGEST_TIME = env.str("REMINDERS_DIGEST_TIME", default="07:30")
# Reminders about a date (a care plan's review, a goal's target) go out this long before
# it, at REMINDERS_DAY_TIME in the recipient's time zone (careplans/reminder_rules.py).
REMINDERS_REVIEW_LEAD = timedelta(days=env.int("REMINDERS_REVIEW_LEAD_DAYS", default=7))
REMINDERS_GOAL_TARGET_LEAD = timedelta(days=env.int("REMINDERS_GOAL_TARGET_LEAD_DAYS", default=7))
REMINDERS_DAY_TIME = env.str("REMINDERS_DAY_TIME", default="08:00")
REMINDERS_DEFAULT_DELIVERY = env.str("REMINDERS_DEFAULT_DELIVERY", default="both")
# Text messages: a backend class (reminders/sms.py). Development writes files under var/sms;
# production has none until a provider's backend is configured (such reminders fail).
REMINDERS_SMS_BACKEND = env.str(
    "REMINDERS_SMS_BACKEND",
    default="reminders.sms.FileSmsBackend" if DEBUG else "reminders.sms.DisabledSmsBackend",
)
REMINDERS_SMS_FILE_PATH = env.str("REMINDERS_SMS_FILE_PATH", default=str(VAR_DIR / "sms"))

# --- CareHub -----------------------------------------------------------------------------
CAREHUB_PAGE_SIZE = 25
# /hsds/ (the HSDS 3 read API, directory/api.py) open to anyone; off: an API token or a
# session is needed. The directory holds no PHI.
HSDS_API_PUBLIC = env.bool("HSDS_API_PUBLIC", default=False)
# My day lists high-risk patients nobody has contacted (completed a task for) in this long.
CAREHUB_NO_CONTACT_DAYS = env.int("CAREHUB_NO_CONTACT_DAYS", default=30)
# Keep drawn dashboards until their teams' data changes (PostgreSQL only; see
# dashboards/freshness.py). Off: draw them on every request.
CAREHUB_DASHBOARD_CACHE = env.bool("CAREHUB_DASHBOARD_CACHE", default=True)
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="US")

# --- Referrals -----------------------------------------------------------------------------
# How long a receiving service has to answer a referral, per priority (FHIR request priority).
REFERRAL_RESPONSE_DEADLINES = {
    "routine": timedelta(hours=env.int("REFERRAL_RESPONSE_HOURS_ROUTINE", default=7 * 24)),
    "urgent": timedelta(hours=env.int("REFERRAL_RESPONSE_HOURS_URGENT", default=2 * 24)),
    "asap": timedelta(hours=env.int("REFERRAL_RESPONSE_HOURS_ASAP", default=24)),
    "stat": timedelta(hours=env.int("REFERRAL_RESPONSE_HOURS_STAT", default=4)),
}
# A scheduled referral is overdue when the appointment is this far past with no outcome.
REFERRAL_OUTCOME_GRACE = timedelta(days=env.int("REFERRAL_OUTCOME_GRACE_DAYS", default=2))
# The signed link in the referral email lets the receiving service answer for this long.
REFERRAL_LINK_MAX_AGE = timedelta(days=env.int("REFERRAL_LINK_MAX_AGE_DAYS", default=14))
# The address CareHub is opened at: absolute links in emails (reminders, the receiving
# service's response link) start with it.
CAREHUB_SITE_URL = env.str("CAREHUB_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Programs and benefits (programs/, benefits/) ---------------------------------------------
# New programs flag an enrolment attending a smaller share (percent) of its counted sessions
# (attended + missed); each program can set its own threshold in admin.
PROGRAMS_ATTENDANCE_THRESHOLD = env.int("PROGRAMS_ATTENDANCE_THRESHOLD", default=75)
# A denial's appeal deadline: this many days after the decision (agencies commonly allow 90).
BENEFITS_APPEAL_DAYS = env.int("BENEFITS_APPEAL_DAYS", default=90)
# When a submitted application's decision is expected, unless the case manager sets a date.
BENEFITS_DECISION_DAYS = env.int("BENEFITS_DECISION_DAYS", default=45)
# An approval's renewal date, unless the case manager sets one.
BENEFITS_RENEWAL_DAYS = env.int("BENEFITS_RENEWAL_DAYS", default=365)
# How many days ahead the case manager is reminded of each deadline.
BENEFITS_DECISION_LEAD_DAYS = env.int("BENEFITS_DECISION_LEAD_DAYS", default=7)
BENEFITS_RENEWAL_LEAD_DAYS = env.int("BENEFITS_RENEWAL_LEAD_DAYS", default=30)
BENEFITS_APPEAL_LEAD_DAYS = env.int("BENEFITS_APPEAL_LEAD_DAYS", default=14)
BENEFITS_AUTHORISATION_LEAD_DAYS = env.int("BENEFITS_AUTHORISATION_LEAD_DAYS", default=14)

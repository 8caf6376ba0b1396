"""Voronka settings: everything that differs between machines comes from the environment."""

import os
import tempfile
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "voronka.core",
    "voronka.staff",
    "voronka.customization",
    "voronka.contacts",
    "voronka.sales",
    "voronka.timeline",
    "voronka.access",
    "voronka.tasks",
    "voronka.automation",
    "voronka.notifications",
    "voronka.imports",
    "voronka.integrations",
    "voronka.integrations.bitrix24",
    "voronka.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "voronka.staff.middleware.UserLanguageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the password, the session may still owe a one-time code or authenticator setup.
    "voronka.access.two_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "voronka.core.middleware.OversizedNumberMiddleware",
    # Last, so it sees the responses of every view (a locked-out sign-in answers 429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "voronka.core.forms.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "voronka" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Embedded default: one SQLite file under var/. WAL + synchronous=NORMAL gives fast commits,
# IMMEDIATE transactions take the write lock up front so two writers never deadlock on upgrade.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'voronka.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests run on a file like production: an in-memory shared-cache database answers a second
    # writer with "table is locked" at once instead of waiting, so races could not be tested.
    # One file per process, so test runs started side by side never share a database.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(tempfile.gettempdir()) / f"voronka-test-{os.getpid()}.sqlite3")
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "sales:home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The lock-out backend first: it refuses sign-ins while a login is locked out and counts
# failures; Django's backend then checks the password.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock-out after repeated failed sign-ins (django-axes), counted per login and address pair so
# one guessed login cannot lock an office that shares an address out of everything.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit log already
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Voronka")

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

# Money and phone defaults for a Russian team.
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="RUB")
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="RU")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "voronka" / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# WhiteNoise also serves straight from the apps' static folders, so a development server or a
# test's live server shows styles without collectstatic; `make run` still collects them.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background work: Redis in production; on the embedded default kombu's filesystem transport
# under var/ so a single machine needs no broker server.
REDIS_URL = env.str("REDIS_URL", default="")
# The host part only keeps kombu from warning about a missing one on every connection.
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost//"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "store_processed": False,
    }
)
if not REDIS_URL:
    for folder in ("queue", "control", "processed"):
        (VAR_DIR / "broker" / folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE
# Tasks: the responsible moves a deadline only with a comment saying why (the creator always may).
TASKS_DEADLINE_CHANGE_NEEDS_COMMENT = env.bool("TASKS_DEADLINE_CHANGE_NEEDS_COMMENT", default=True)

# Robots: "working hours only" timings, retries and how long a worker owns a claimed run.
AUTOMATION_WORK_HOURS = (
    env.str("AUTOMATION_WORK_START", default="09:00"),
    env.str("AUTOMATION_WORK_END", default="18:00"),
)
AUTOMATION_WORK_DAYS = tuple(env.list("AUTOMATION_WORK_DAYS", cast=int, default=[1, 2, 3, 4, 5]))
AUTOMATION_MAX_ATTEMPTS = env.int("AUTOMATION_MAX_ATTEMPTS", default=5)
AUTOMATION_LEASE_SECONDS = env.int("AUTOMATION_LEASE_SECONDS", default=60)
# The "call a webhook" robot: seconds to wait for an answer, and whether it may call addresses
# on private networks or loopback (a server in the same office network).
AUTOMATION_WEBHOOK_TIMEOUT = env.float("AUTOMATION_WEBHOOK_TIMEOUT", default=10)
AUTOMATION_WEBHOOK_ALLOW_PRIVATE = env.bool("AUTOMATION_WEBHOOK_ALLOW_PRIVATE", default=False)

# Notifications: also e-mail each one to employees who have an address.
NOTIFICATIONS_EMAIL = env.bool("NOTIFICATIONS_EMAIL", default=False)

# Outbound webhooks: receiver timeout, attempts of a delivery, switching off after failures,
# addresses on private networks (a receiver in the same office network), days of the log.
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10)
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=10)
WEBHOOKS_DISABLE_AFTER_FAILURES = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=10)
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOKS_KEEP_DAYS = env.int("WEBHOOKS_KEEP_DAYS", default=30)

# Bitrix24-compatible API (/rest/): leaky bucket per webhook and client address; off unless
# set, e.g. BITRIX24_RATE_LIMIT='{"rate": 2, "burst": 50}'. Counts live in the cache: point
# CACHE_URL at Redis when several processes serve the API.
BITRIX24_RATE_LIMIT = env.json("BITRIX24_RATE_LIMIT", default=None)
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Imports of CSV and XLSX files: the largest file and the most rows one import takes.
IMPORT_MAX_FILE_SIZE = env.int("IMPORT_MAX_FILE_SIZE", default=20 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)

CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "core.worker_heartbeat", "schedule": 30.0},
    # Due robot runs; immediate ones are also kicked the moment their stage change commits.
    "automation-run-due": {"task": "automation.run_due", "schedule": 5.0},
    "automation-triggers-due": {"task": "automation.triggers_due", "schedule": 60.0},
    "automation-monitoring": {"task": "automation.monitoring", "schedule": 60.0},
    "integrations-deliver-due": {"task": "integrations.deliver_due", "schedule": 10.0},
    "integrations-purge-deliveries": {"task": "integrations.purge_deliveries", "schedule": 86400.0},
    "api-purge-idempotency-keys": {"task": "api.purge_idempotency_keys", "schedule": 3600.0},
    # Nightly: groups of likely duplicates for the finder, then ABC segments by LTV.
    "contacts-scan-duplicates": {
        "task": "contacts.scan_duplicates",
        "schedule": crontab(hour=2, minute=30),
    },
    # Imports: a job whose worker died goes on; uploads nobody started are forgotten.
    "imports-resume-stalled": {"task": "imports.resume_stalled", "schedule": 300.0},
    "imports-forget-abandoned": {"task": "imports.forget_abandoned", "schedule": 21600.0},
    "contacts-assign-client-segments": {
        "task": "contacts.assign_client_segments",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Outgoing e-mail (robots' letters to clients). With EMAIL_HOST set it goes through that SMTP
# server; without it, on the embedded default, each letter is written as a file under var/mail.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Voronka <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Served over HTTPS: cookies only over HTTPS, plain HTTP redirected, HSTS. Off by default so
# `make run` and the tests work on http://localhost; turn on in production.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_COOKIES)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_COOKIES else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_COOKIES)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_COOKIES)
# Behind a proxy that terminates HTTPS and sets X-Forwarded-Proto.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Our REST API (/api/v1/). Sessions serve the browsable docs; integrations use personal tokens.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "voronka.api.schema.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "voronka.api.authentication.PersonalTokenAuthentication",
        # The signed-in session (the browsable docs); CSRF is checked on writes.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["voronka.api.permissions.TokenScopePermission"],
    "DEFAULT_PAGINATION_CLASS": "voronka.api.pagination.ApiCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["voronka.api.throttling.TokenRateThrottle"],
    # Requests per token, e.g. "600/min"; unlimited unless set.
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_RATE_LIMIT", default=None)},
    "EXCEPTION_HANDLER": "voronka.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Voronka API",
    "DESCRIPTION": (
        "Leads, deals, contacts, companies, tasks and their feeds. Authenticate with a personal "
        "API token (issued on /accounts/tokens/): `Authorization: Bearer <token>`. "
        "How to page, filter and retry: /api/v1/docs/."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Responses may leave fields out (field rules, ``fields=``): none is marked required.
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
    "ENUM_NAME_OVERRIDES": {
        "ActivityKindEnum": "voronka.timeline.models.ActivityKind",
        "AddressKindEnum": "voronka.contacts.models.AddressKind",
        "CommunicationKindEnum": "voronka.contacts.models.CommunicationKind",
        "EntryKindEnum": "voronka.timeline.models.EntryKind",
        "StageKindEnum": "voronka.sales.models.StageKind",
    },
}

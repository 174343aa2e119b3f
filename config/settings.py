"""Settings, all from the environment (django-environ). See .env.example for every variable."""

import os
import secrets
from pathlib import Path

import environ

from config.schedules import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=True)


def _checkout_secret_key() -> str:
    """A random key made once for this checkout and kept beside it (`.secret_key`, git-ignored, owner-only), so no
    secret written in the repository ever signs anything; a deployment sets DJANGO_SECRET_KEY (required there)."""
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        made = path.with_name(f".secret_key.{os.getpid()}")
        made.write_text(secrets.token_urlsafe(50))
        made.chmod(0o600)
        try:
            os.link(made, path)  # appears whole or not at all, once, however many processes start together
        except FileExistsError:
            pass
        finally:
            made.unlink()
    return path.read_text().strip()


SECRET_KEY = env("DJANGO_SECRET_KEY", default=None) or (_checkout_secret_key() if DEBUG else env("DJANGO_SECRET_KEY"))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our static files: /api/docs/ works offline
    "django_htmx",
    "django_celery_beat",
    "venues",
    "ingest",
    "analytics",
    "reid",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "venues.middleware.ApiBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "venues.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# An API body (a batch of up to 5,000 events with their trajectories) may be this large; larger is a JSON 413.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=32 * 1024**2)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "venues.context_processors.tenant",
            ],
        },
    },
]

# --- Database: PostgreSQL with pgvector, never SQLite ------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from config.embedded_db import embedded_database_settings

    DATABASES = {"default": embedded_database_settings(Path(env("EMBEDDED_PGDATA", default=BASE_DIR / ".pgdata")))}
DATABASES["default"]["NAME"] = env("DATABASE_NAME", default=DATABASES["default"]["NAME"])  # e.g. a test database
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
if DATABASE_POOL_SIZE := env.int("DATABASE_POOL_SIZE", default=0):  # a pool shared by the process's threads
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": DATABASE_POOL_SIZE}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # storage is UTC; analytics convert to each venue's own time zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email: a real backend chosen by URL (smtp://host:port in docker-compose's mail catcher) -----
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Retail Analytics <noreply@localhost>")

# --- Security (checked by `manage.py check --deploy` with DJANGO_DEBUG=false) ------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "venues.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["venues.permissions.TenantRolePermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "venues.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Retail CCTV Analytics API",
    "DESCRIPTION": (
        "Footfall, dwell, queues and visitor analytics for retail venues. Authenticate with a session "
        "or with `Authorization: Api-Key <key>`; every object belongs to the caller's tenant."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {  # choice sets shared by several fields, or whose field names collide
        "SeverityEnum": "alerts.models.Severity",
        "AlertKindEnum": "alerts.models.AlertRule.Kind",
        "ZoneKindEnum": "venues.models.Zone.Kind",
    },
}

# --- Celery: Redis broker and results, a `vision` queue for video workers -----------------------
CELERY_BROKER_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE  # config/schedules.py
# /readyz (config/health.py): how long to wait for a worker's ping; how old beat's heartbeat may be
HEALTH_WORKER_PING_TIMEOUT = env.float("HEALTH_WORKER_PING_TIMEOUT", default=1.0)
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=180)
CELERY_TASK_ROUTES = {"ingest.tasks.video_job_process": {"queue": "vision"}}  # video work: GPU/CPU vision workers

# --- Live event stream (ingest.live publishes, analytics.live follows) -----------------------------
LIVE_REDIS_URL = env("LIVE_REDIS_URL", default=CELERY_BROKER_URL)
LIVE_STREAM_MAXLEN = env.int("LIVE_STREAM_MAXLEN", default=10_000)  # events kept per venue for resuming
LIVE_PRESENCE_MAX_SECONDS = env.int("LIVE_PRESENCE_MAX_SECONDS", default=3 * 3600)  # an unended visit stops counting
LIVE_HEARTBEAT_SECONDS = env.float("LIVE_HEARTBEAT_SECONDS", default=15.0)  # keeps idle connections open
LIVE_LISTENER_BUFFER = 1000  # events a slow listener may lag behind before it is closed (it resumes on reconnect)

# --- Vision pipeline and video jobs --------------------------------------------------------------
VISION_MODEL_DIR = env("VISION_MODEL_DIR", default=str(BASE_DIR / "models"))  # weights, e.g. yolo11n-pose.pt
VISION_CACHE_DIR = env("VISION_CACHE_DIR", default=str(BASE_DIR / ".cache" / "vision"))  # exported models
VISION_OFFLINE = env.bool("VISION_OFFLINE", default=True)  # Ultralytics makes no network calls, installs nothing
VISION_ANALYSIS_FPS = env.float("VISION_ANALYSIS_FPS", default=8.0)
VISION_TRACKER = {  # vision.tracking.TrackerConfig
    "weights": env("VISION_WEIGHTS", default="yolo11n-pose.pt"),
    "pose_weights": env("VISION_POSE_WEIGHTS", default=None),
    "backend": env("VISION_BACKEND", default="openvino"),  # openvino | onnx | pytorch (GPU workers)
    "device": env("VISION_DEVICE", default="cpu"),
}
# the detector's largest input (vision.scale): 1920x1088 runs at about 80 ms a frame on 2 CPU cores
VISION_MAX_INPUT_PIXELS = env.int("VISION_MAX_INPUT_PIXELS", default=1920 * 1088)
VISION_FACES = env.bool("VISION_FACES", default=True)  # one good face per visitor: embedding, age, gender
VIDEO_UPLOAD_MAX_BYTES = env.int("VIDEO_UPLOAD_MAX_BYTES", default=2 * 1024**3)
VIDEO_URL_ALLOWED_HOSTS = env.list(
    "VIDEO_URL_ALLOWED_HOSTS", default=["youtube.com", "youtu.be", "vimeo.com", "dailymotion.com"]
)
VIDEO_URL_ALLOW_PRIVATE = env.bool("VIDEO_URL_ALLOW_PRIVATE", default=False)  # on-premises only: LAN hosts
VIDEO_URL_MAX_BYTES = env.int("VIDEO_URL_MAX_BYTES", default=1024**3)
VIDEO_URL_MAX_SECONDS = env.float("VIDEO_URL_MAX_SECONDS", default=4 * 3600)
VIDEO_JOB_PROGRESS_SECONDS = 1.0  # progress is saved, and cancellation noticed, about this often
VIDEO_BATCH_MAX = 20  # files or URLs in one batch request
REVIEW_CLIP_SECONDS = env.float("REVIEW_CLIP_SECONDS", default=120.0)  # review clips: the footage's first seconds

# --- Returning visitors (reid/) -------------------------------------------------------------------
# Largest L2 distance between normalised embeddings of one model that counts as the same person. A model
# without a threshold here is never matched. dlib: measured on ../shared/faces by `manage.py reid_calibrate`
# (docs/benchmarks.md): same person 0.16-0.40, different people 0.36-0.76; 0.38 separates 99.9 % of pairs.
REID_MATCH_THRESHOLDS = env.json("REID_MATCH_THRESHOLDS", default={"dlib-resnet-128": 0.38})
REID_CANDIDATES = env.int("REID_CANDIDATES", default=100)  # nearest samples the HNSW search returns (ef_search)
REID_SAMPLES_PER_VISITOR = 5  # a visitor keeps at most this many embeddings; a new one replaces the oldest
REID_SAMPLE_MIN_DISTANCE = 0.1  # a match closer than this to one of the visitor's samples adds nothing new

SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")  # links in emails

# --- Product settings --------------------------------------------------------------------------
H3_RESOLUTION = env.int("H3_RESOLUTION", default=9)  # ~0.1 km² hexagons: one store, its street
# Venue map tiles ({z}/{x}/{y} template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png); empty (the default,
# which works offline): the venues and their cells on vendored country outlines
MAP_TILE_URL = env("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env(
    "MAP_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
API_KEY_LAST_USED_RESOLUTION_SECONDS = 60  # last-used time is written at most once a minute per key

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}},
}

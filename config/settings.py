"""Settings, all from the environment (django-environ). See .env.example for every variable."""

import os
from datetime import timedelta
from pathlib import Path

import environ

from config.schedules import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"))  # scripts/_setup.sh writes .env

DEBUG = env.bool("DJANGO_DEBUG", default=False)  # tracebacks in error pages only when asked for
# Each install has its own: scripts/_setup.sh makes one in the git-ignored .env; a deployment sets it. No key written
# in the repository ever signs anything.
SECRET_KEY = env("DJANGO_SECRET_KEY")
# Served behind TLS (the default, as deployed): secure cookies, HSTS and a redirect to https. scripts/run.sh serves
# plain HTTP on this machine, so its .env says DJANGO_HTTPS=false.
HTTPS = env.bool("DJANGO_HTTPS", default=True)
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
    "core",
    "venues",
    "ingest",
    "analytics",
    "reid",
    "alerts",
    "axes",  # failed-login lockouts (AUTHENTICATION_BACKENDS, AXES_*)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ingest.uploads.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
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
                "core.context_processors.tenant",
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
# Failed logins (django-axes, counted in the database): LOGIN_FAILURE_LIMIT wrong passwords for one username from
# one address lock that pair out for LOGIN_LOCKOUT_MINUTES; a successful login starts the count again.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.account_views.locked_out"  # the login card saying why and how long
AXES_CLIENT_IP_CALLABLE = "core.throttling.client_address"  # the same address as the API's limits

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["config.formats"]  # one 24-hour format, the admin included
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
        if HTTPS and not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

WHITENOISE_USE_FINDERS = DEBUG or not HTTPS  # served from the apps' folders where nothing ran collectstatic

# --- Email: a real backend chosen by URL (smtp://host:port in docker-compose's mail catcher) -----
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Retail Analytics <noreply@localhost>")

# --- Security (checked by `manage.py check --deploy` with DJANGO_DEBUG=false) ------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
X_FRAME_OPTIONS = "DENY"

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.TenantRolePermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    # Rate limits (core/throttling.py, counted in the shared `limits` cache): per API key, per signed-in user,
    # per address for anonymous requests; failed API-key attempts and password-reset emails have their own.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.ApiKeyRateThrottle",
        "core.throttling.UserRateThrottle",
        "core.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_key": env("API_RATE_PER_KEY", default="6000/min"),
        "user": env("API_RATE_PER_USER", default="1200/min"),
        "anon": env("API_RATE_ANONYMOUS", default="60/min"),
        "api_key_failure": env("API_RATE_FAILED_KEYS", default="10/min"),
        "password_reset_address": env("PASSWORD_RESET_RATE_PER_ADDRESS", default="5/hour"),
        "password_reset_account": env("PASSWORD_RESET_RATE_PER_ACCOUNT", default="3/hour"),
    },
    # Proxies in front of the app that append to X-Forwarded-For; 0: the client is REMOTE_ADDR (a header a client
    # sets itself must not choose the address its requests are counted under).
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
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
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api_errors.error_responses"],
}

# --- Celery: Redis broker and results, a `vision` queue for video workers -----------------------
CELERY_BROKER_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_TASK_IGNORE_RESULT = True  # nothing waits on a task: outcomes are stored where they belong (a job, an alert)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE  # config/schedules.py
# a task whose worker died is delivered again after this long (the recovery sweep usually takes the job back first);
# a delivery of a job that is running elsewhere finds it claimed and ends; the broker is given up on within seconds
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 300, "socket_connect_timeout": 3, "socket_timeout": 10,
    "max_retries": 2, "interval_start": 0, "interval_step": 0.25,  # a sender waits under a second, not 6 s
    # a task's priority (0 first, 9 last: ingest.services.video_job_send) picks its list; workers empty the lists in
    # that order, so a single video job overtakes the queued jobs of a batch
    "queue_order_strategy": "priority", "priority_steps": list(range(10)),
}  # fmt: skip
# /readyz (config/health.py): how long to wait for a worker's ping; how old beat's heartbeat may be
HEALTH_WORKER_PING_TIMEOUT = env.float("HEALTH_WORKER_PING_TIMEOUT", default=1.0)
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=180)
CELERY_TASK_ROUTES = {"ingest.tasks.video_job_process": {"queue": "vision"}}  # video work: GPU/CPU vision workers

# --- Caches: `limits` holds the rate-limit counts, in Redis so that every process counts together ---------------
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},  # per process, as Django's default
    "limits": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("LIMITS_REDIS_URL", default=CELERY_BROKER_URL),
        "KEY_PREFIX": "limits",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},  # an unreachable counter is skipped at once
    },
}

# --- Live event stream (ingest.live publishes, analytics.live_stream follows) -----------------------------
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
# Jobs that are never lost (ingest.services.video_jobs_recover, every minute on the beat schedule): a running job
# marks itself alive this often, is taken back and queued again when its mark is older than LOST_AFTER (its worker
# died), at most MAX_ATTEMPTS runs in all; a queued job whose task never reached the broker is sent again.
VIDEO_JOB_HEARTBEAT_SECONDS = env.float("VIDEO_JOB_HEARTBEAT_SECONDS", default=10.0)
VIDEO_JOB_LOST_AFTER_SECONDS = env.float("VIDEO_JOB_LOST_AFTER_SECONDS", default=90.0)
VIDEO_JOB_MAX_ATTEMPTS = env.int("VIDEO_JOB_MAX_ATTEMPTS", default=3)
VIDEO_JOB_RESEND_AFTER_SECONDS = env.float("VIDEO_JOB_RESEND_AFTER_SECONDS", default=900.0)  # a message Redis lost
VIDEO_BATCH_MAX = 20  # files or URLs in one batch request
REVIEW_CLIP_SECONDS = env.float("REVIEW_CLIP_SECONDS", default=120.0)  # review clips: the footage's first seconds

# --- Returning visitors (reid/) -------------------------------------------------------------------
# Open-set matching per embedding model (L2 distance between normalised embeddings; a model without rules is
# never matched): [most visitors in the matching scope, threshold, margin] bands, the last (null) for any larger
# scope. A face is its nearest visitor's when that visitor is within the threshold and nearer than the next
# visitor by the margin; within the threshold but without the margin it is "uncertain". dlib: measured by
# `manage.py benchmark_reid` at 10k-1M visitors and `reid_calibrate` on real photos (docs/benchmarks.md).
REID_MATCH_RULES = env.json(
    "REID_MATCH_RULES",
    default={"dlib-resnet-128": [[1000, 0.34, 0.05], [10_000, 0.32, 0.05], [100_000, 0.32, 0.04], [None, 0.30, 0.04]]},
)
REID_SCOPE_SIZE_SECONDS = 600  # the visitors counted in a matching scope are counted again this often
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

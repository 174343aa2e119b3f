"""Every periodic task, in one place. django-celery-beat's database scheduler picks these up at start (and
shows them in the admin); run `celery -A config beat`. `SCHEDULE_SECONDS` (an environment variable) runs every
entry that often instead, for a quick end-to-end run."""

import os

from celery.schedules import crontab

_every = float(os.environ.get("SCHEDULE_SECONDS", 0)) or None

BEAT_SCHEDULE = {
    "video-jobs-recover": {
        "task": "ingest.tasks.video_jobs_recover_all",
        "schedule": _every or 60.0,  # a dead worker's job is queued again within VIDEO_JOB_LOST_AFTER_SECONDS + 1 min
    },
    "health-heartbeat": {
        "task": "config.health.heartbeat",
        "schedule": _every or 60.0,  # /readyz counts beat alive while the last one is under 3 minutes old
    },
    "reid-embeddings-expire": {
        "task": "reid.tasks.embeddings_expire_all",
        "schedule": _every or crontab(minute=17),  # hourly: an embedding outlives its retention by an hour at most
    },
    "review-clips-expire": {
        "task": "ingest.tasks.review_clips_expire_all",
        "schedule": _every or crontab(minute=29),  # hourly: a clip outlives its retention by an hour at most
    },
    "alerts-check": {
        "task": "alerts.tasks.alert_checks_fan_out",
        "schedule": _every or crontab(minute=3),  # just after each hour: the hour that ended
    },
    "alerts-digests": {
        "task": "alerts.tasks.digests_fan_out",
        "schedule": _every or crontab(minute="*/15"),  # digests go out within 15 minutes of the chosen local time
    },
}

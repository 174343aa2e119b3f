"""Every periodic task, in one place. django-celery-beat's database scheduler picks these up at start (and
shows them in the admin); run `celery -A config beat`."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "reid-embeddings-expire": {
        "task": "reid.tasks.embeddings_expire_all",
        "schedule": crontab(minute=17),  # hourly: an embedding outlives its retention by an hour at most
    },
}

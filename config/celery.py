"""The Celery app: Redis broker, a `default` queue and a `vision` queue for the video workers.

Video processing tasks are routed to `vision` (CELERY_TASK_ROUTES) so that GPU machines run only
`celery -A config worker -Q vision`; everything else runs on `-Q default`.
"""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("retail")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("vision"))
app.autodiscover_tasks()
app.conf.imports = ("config.health",)  # the heartbeat task (not in an app, so not autodiscovered)

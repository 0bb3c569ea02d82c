"""Celery application: tasks are autodiscovered in every installed app's tasks.py."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# core.broker.Task: a task that cannot be queued after a commit is logged, not a 500 for the page.
app = Celery("examreg", task_cls="core.broker:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

"""Stored files (uploads, snapshots, review clips) go with their row: Django deletes rows, never their files."""

from django.db import models, transaction
from django.db.models.signals import post_delete


def _stored_files_delete(sender, instance, **kwargs):
    """Once the deletion of `instance` (direct or by cascade) commits, delete the files its file fields name."""
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.FileField) and (file := getattr(instance, field.attname)):
            storage, name = file.storage, file.name
            transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


def files_deleted_with_rows(*models_with_files) -> None:
    for model in models_with_files:
        post_delete.connect(_stored_files_delete, sender=model, dispatch_uid=f"files-of-{model._meta.label}")

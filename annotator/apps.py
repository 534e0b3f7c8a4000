from django.apps import AppConfig


class AnnotatorConfig(AppConfig):
    name = "annotator"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mestudio.celery import ensure_broker_folders

        from . import handlers  # noqa: F401 - registers the job handlers

        ensure_broker_folders()

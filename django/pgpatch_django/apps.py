from django.apps import AppConfig


class PgpatchConfig(AppConfig):
    name = 'pgpatch_django'
    label = 'pgpatch_django'
    verbose_name = 'pgpatch'

    def ready(self):
        from . import checks  # noqa: F401 (registers the database check)

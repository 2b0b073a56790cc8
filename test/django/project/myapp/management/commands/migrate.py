"""
`manage.py migrate` for a project whose schema pgpatch maintains: it changes no schema.

Django's own migrate (3.2) starts by creating the django_migrations table even when no app has
migrations, and the test runner calls it on the test database: as the application role, which
may not CREATE anything, that fails with "Unable to create the django_migrations table
(permission denied for schema myapp)". (Django 4.1 skips the table when there is nothing to
migrate, ticket #23273.) This command keeps what migrate is still good for here:

* it checks that the table or view of every model exists, so a database that pgpatch did not
  build fails early with a message saying what to run;
* it sends post_migrate, as Django's migrate does, so content types and permissions are
  created for new models (rows only: INSERT is all it needs).

Schema changes are patches: `npx pgpatch migrate`.
"""
from django.apps import apps
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, router


class Command(DjangoMigrate):
    help = ('Checks that the tables of all models exist and syncs content types and permissions. '
            'The schema is changed by SQL patches: npx pgpatch migrate.')

    def handle(self, *args, **options):
        database = options['database']
        connection = connections[database]
        verbosity = options['verbosity']
        if options.get('app_label') or options.get('migration_name'):
            raise CommandError('the schema is maintained with pgpatch: "npx pgpatch migrate [PATCH]" applies patches')
        with connection.cursor() as cursor:
            existing = set(connection.introspection.table_names(cursor, include_views=True))
        missing = []
        checked = 0
        for model in apps.get_models(include_auto_created=True):
            if model._meta.proxy or model._meta.swapped or not router.allow_migrate_model(database, model):
                continue
            checked += 1
            if model._meta.db_table not in existing:
                missing.append(f'{model._meta.label} ({model._meta.db_table})')
        if missing:
            raise CommandError(
                'no table or view for: ' + ', '.join(missing) + '. The schema comes from the SQL files: '
                'build the database with "npx pgpatch load" (a new database) or "npx pgpatch migrate", '
                'or add the table to the schema files and a patch.')
        emit_post_migrate_signal(verbosity, options['interactive'], database)
        if verbosity >= 1:
            self.stdout.write(
                f'{checked} models have their table or view in {connection.settings_dict["NAME"]}; '
                'content types and permissions are up to date. Schema changes: npx pgpatch migrate.')

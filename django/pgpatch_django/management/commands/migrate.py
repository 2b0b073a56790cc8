"""
`manage.py migrate` for a project whose schema pgpatch maintains: it changes no schema.

Django's own migrate (3.2) creates the django_migrations table even when no app has migrations,
and the test runner calls it on every test database (with run_syncdb, which would create the
tables of managed models): as an application role that may not CREATE anything, that fails.
This command keeps what migrate is still good for here:

* it checks that the table or view of every model exists, so a database that pgpatch did not
  build fails early, saying what to run;
* it sends post_migrate, as Django's migrate does, so content types and permissions are created
  for new models (rows only: INSERT is all it needs);
* `--check` and `--plan` ask pgpatch: `pgpatch migrate --check` (exit 1 when patches are
  pending) and `pgpatch migrate --plan`.

Schema changes are patches: `npx pgpatch migrate`.
"""
import sys

from django.apps import apps
from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, router

from pgpatch_django import pgpatch


class Command(DjangoMigrate):
    help = ('Checks that the tables of all models exist and syncs content types and permissions; '
            '--check and --plan ask pgpatch. The schema is changed by SQL patches: npx pgpatch migrate.')

    def handle(self, *args, **options):
        database = options['database']
        connection = connections[database]
        verbosity = options['verbosity']
        if options.get('app_label') or options.get('migration_name'):
            raise CommandError('the schema is maintained with pgpatch: "npx pgpatch migrate [PATCH]" applies patches')
        if options.get('check_unapplied') or options.get('plan'):
            code = pgpatch.run(['migrate', '--check' if options.get('check_unapplied') else '--plan'], connection)
            if code:
                sys.exit(code)
            return
        with connection.cursor() as cursor:
            existing = set(connection.introspection.table_names(cursor, include_views=True))
        missing = []
        checked = 0
        for model in apps.get_models(include_auto_created=True):
            if model._meta.proxy or model._meta.swapped or not router.allow_migrate(database, model._meta.app_label, model_name=model._meta.model_name):
                continue
            checked += 1
            if model._meta.db_table not in existing:
                missing.append(f'{model._meta.label} ({model._meta.db_table})')
        if missing:
            raise CommandError(
                'no table or view for: ' + ', '.join(missing) + '. The schema comes from the SQL files: '
                'build the database with "npx pgpatch load" (a new database), "npx pgpatch migrate", '
                'or for tests "npx pgpatch testdb" and TEST = {"TEMPLATE": ...}; '
                'or add the table to the schema files and a patch.')
        emit_post_migrate_signal(verbosity, options['interactive'], database)
        if verbosity >= 1:
            self.stdout.write(
                f'{checked} models have their table or view in {connection.settings_dict["NAME"]}; '
                'content types and permissions are up to date. Schema changes: npx pgpatch migrate.')

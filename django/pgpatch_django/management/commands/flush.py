"""
`manage.py flush` that empties the tables of every model, managed or not, with CASCADE: what
TransactionTestCase needs on a schema kept in SQL files.

Django's own flush truncates the tables of managed models only (a schema pgpatch keeps often
has only unmanaged ones), and uses CASCADE only when a test case sets available_apps. Such a
schema also has tables no model maps (bookings, audit trails...) with foreign keys to Django's
tables (auth_user), where a TRUNCATE without CASCADE fails ("cannot truncate a table referenced
in a foreign key constraint"). With CASCADE they are emptied too: their rows pointed at rows
being removed. Views are left alone. The role needs TRUNCATE on every table it empties (a
template built by `pgpatch testdb` grants it wherever the role may DELETE).
"""
from django.apps import apps
from django.core.management.color import no_style
from django.core.management.commands.flush import Command as DjangoFlush
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, router


def model_tables(connection, alias):
    """The tables (not views) of every concrete model, managed or not, that exist in the database."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor, include_views=False))
    tables = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or meta.swapped or not router.allow_migrate(alias, meta.app_label, model_name=meta.model_name):
            continue
        if meta.db_table in existing:
            tables.add(meta.db_table)
    return sorted(tables)


class Command(DjangoFlush):
    def handle(self, **options):
        database = options['database']
        connection = connections[database]
        sql_list = connection.ops.sql_flush(
            no_style(), model_tables(connection, database),
            reset_sequences=options.get('reset_sequences', True), allow_cascade=True)
        if options['interactive']:
            confirm = input(
                f'This will empty every table of a model in "{connection.settings_dict["NAME"]}", and the tables '
                'that reference them (TRUNCATE ... CASCADE).\nType \'yes\' to continue, or \'no\' to cancel: ')
            if confirm != 'yes':
                self.stdout.write('Flush cancelled.')
                return
        connection.ops.execute_sql_flush(sql_list)
        if sql_list and not options.get('inhibit_post_migrate', False):
            emit_post_migrate_signal(options['verbosity'], options['interactive'], database)

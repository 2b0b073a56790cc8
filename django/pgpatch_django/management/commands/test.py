"""
`manage.py test` that first brings the test template up to date: for every database whose TEST
settings name a TEMPLATE, `pgpatch testdb --template NAME` (rebuilt only when the schema files
or patches changed, e.g. after a pull or a branch switch), then Django's own test command with
the stock runner, which clones each test database from the template.

PGPATCH_TESTDB = False (setting) skips the first step (CI that ran `pgpatch testdb` itself).
pgpatch connects as PGPATCH_DSN when set (the role that may build the schema: the schema
owner with CREATEDB, or a superuser on a dev server), else as Django's connection.
"""
from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.test import Command as DjangoTest
from django.db import connections

from pgpatch_django import pgpatch


class Command(DjangoTest):
    def handle(self, *test_labels, **options):
        if getattr(settings, 'PGPATCH_TESTDB', True):
            for alias in connections:
                template = (connections[alias].settings_dict.get('TEST') or {}).get('TEMPLATE')
                if template and connections[alias].vendor == 'postgresql':
                    code = pgpatch.run(['testdb', '--template', template], connections[alias])
                    if code:
                        raise CommandError(f'pgpatch testdb --template {template} failed (exit {code})')
        return super().handle(*test_labels, **options)

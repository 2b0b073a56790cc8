"""Runs the pgpatch CLI on the database of a Django connection."""
import os
import shlex
import subprocess

from django.conf import settings
from django.core.management.base import CommandError


def run(args, connection):
    """`pgpatch ARGS --dsn <the connection's database>` in the project folder: its exit status.

    PGPATCH_COMMAND (setting or environment) is how pgpatch is started (default: npx --no-install
    pgpatch), PGPATCH_DIR the folder of pgpatch.config.* (default: the current folder). PGPATCH_DSN
    names another database or role for pgpatch (e.g. the schema's owner) than Django's own.
    """
    command = getattr(settings, 'PGPATCH_COMMAND', None) or os.environ.get('PGPATCH_COMMAND') or 'npx --no-install pgpatch'
    command = shlex.split(command) if isinstance(command, str) else list(command)
    env = dict(os.environ)
    dsn = getattr(settings, 'PGPATCH_DSN', None) or os.environ.get('PGPATCH_DSN')
    if not dsn:
        s = connection.settings_dict
        parts = {'host': s.get('HOST'), 'port': s.get('PORT'), 'dbname': s.get('NAME'), 'user': s.get('USER')}
        dsn = ' '.join(f"{k}='{_quote(v)}'" for k, v in parts.items() if v)
        if s.get('PASSWORD'):
            env['PGPASSWORD'] = s['PASSWORD']  # not on the command line, where ps shows it
    try:
        return subprocess.run([*command, *args, '--dsn', dsn], cwd=getattr(settings, 'PGPATCH_DIR', None), env=env).returncode
    except FileNotFoundError as e:
        raise CommandError(f'cannot run pgpatch ({" ".join(command)}): {e}; set PGPATCH_COMMAND')


def _quote(value):
    """A value of a libpq key/value connection string, for inside single quotes."""
    return str(value).replace('\\', '\\\\').replace("'", "\\'")

"""
The test project (../project), which uses pgpatch's Django kit, with test databases cloned from the template that
`pgpatch testdb` keeps (DB_TEMPLATE). kit.test.mjs copies both into a folder of its own.
"""
import os

from bookshop.settings import *  # noqa: F401,F403
from bookshop.settings import DATABASES

DATABASES['default']['TEST'] = {'TEMPLATE': os.environ['DB_TEMPLATE'], 'MIGRATE': False}
# Without a password file: the test clusters trust 127.0.0.1.
PGPATCH_COMMAND = os.environ['PGPATCH_COMMAND']
PGPATCH_DSN = os.environ.get('PGPATCH_DSN')

#!/usr/bin/env python3
"""Django's command-line utility for the test project (run it with /usr/bin/python3)."""
import os
import sys
from pathlib import Path

# pgpatch's Django kit (pgpatch_django), from the package's django/ folder in this repository; a
# project copies the folder next to its manage.py instead.
KIT = Path(__file__).resolve().parent / '..' / '..' / '..' / 'django'
if KIT.is_dir():
    sys.path.insert(1, str(KIT))

if __name__ == '__main__':
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'bookshop.settings')
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)

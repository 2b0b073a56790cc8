#!/usr/bin/env python3
"""A Django project that keeps Django's own migrations: the kind of project `pgpatch adopt` takes over."""
import os
import sys

if __name__ == '__main__':
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_settings')
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)

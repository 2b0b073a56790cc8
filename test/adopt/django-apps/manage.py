#!/usr/bin/env python3
"""A Django project made only of third-party apps with their own migrations (test/adopt/django-apps.test.mjs)."""
import os
import sys

if __name__ == '__main__':
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'apps_settings')
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)

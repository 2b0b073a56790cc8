"""
pgpatch's Django kit: a project whose schema is kept in SQL files and patches by pgpatch.

Add 'pgpatch_django' to INSTALLED_APPS (before the apps whose commands it must win over, i.e.
anywhere: Django's own migrate is in django.core, which any app overrides). It brings:

* ``manage.py migrate``, replaced: it changes no schema; it checks that every model has its
  table or view, and sends post_migrate (content types, permissions), for the test runner too.
  ``--check`` and ``--plan`` ask pgpatch (``pgpatch migrate --check`` / ``--plan``).
* a database check (``manage.py check --database default``, and the test runner's checks on the
  test database): every concrete model's table or view and columns exist with compatible types
  and nullability. The replacement of ``makemigrations --check`` for CI.
"""

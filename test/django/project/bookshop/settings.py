"""
Settings of a minimal Django project living on a schema that pgpatch maintains.

The schema (fixtures/demo) is plain SQL: Django never creates, alters or migrates a table here.
It connects as the demo's application role, myapp, which can read and change data and nothing
else: it owns no table, cannot create any, and cannot touch the audit trail.
"""
import os

SECRET_KEY = 'test-only, not secret'
DEBUG = False
ALLOWED_HOSTS = ['localhost', '127.0.0.1']

INSTALLED_APPS = [
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'myapp',
    'pgpatch_django',  # pgpatch's Django kit: migrate, test, flush and the model check
]

# The schema files and their SQL patches are the only source of truth for the database: no app,
# not even Django's own, has migrations. The tables of contenttypes, auth, admin and sessions come
# from the schema's django.sql. Django 3.2's migrate would still create django_migrations (and
# fail as myapp): the kit's migrate (pgpatch_django) replaces it, for the test runner too.
MIGRATION_MODULES = {
    'admin': None,
    'auth': None,
    'contenttypes': None,
    'sessions': None,
    'myapp': None,
}

DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': os.environ.get('DB_NAME', 'myapp'),
        # The application role: not a superuser, not the owner of any table. No password here:
        # the test clusters trust 127.0.0.1 (use DB_PASSWORD or ~/.pgpass elsewhere).
        'USER': os.environ.get('DB_USER', 'myapp'),
        'PASSWORD': os.environ.get('DB_PASSWORD', ''),
        'HOST': os.environ.get('DB_HOST', '127.0.0.1'),
        'PORT': os.environ.get('DB_PORT', '5432'),
        'OPTIONS': {
            # The role's default search_path ("$user", public) already finds the schema named
            # myapp; saying it makes the project work under any role name.
            'options': '-c search_path=myapp,public',
            'application_name': 'django bookshop',
        },
        # "manage.py test --keepdb" uses test_<NAME>, created and loaded by pgpatch beforehand
        # (myapp may not CREATE DATABASE, and Django must not build it anyway).
    },
}

DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'
USE_TZ = True
TIME_ZONE = 'UTC'

ROOT_URLCONF = 'bookshop.urls'
MIDDLEWARE = [
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
]
TEMPLATES = [
    {
        'BACKEND': 'django.template.backends.django.DjangoTemplates',
        'APP_DIRS': True,
        'OPTIONS': {
            'context_processors': [
                'django.template.context_processors.request',
                'django.contrib.auth.context_processors.auth',
                'django.contrib.messages.context_processors.messages',
            ],
        },
    },
]

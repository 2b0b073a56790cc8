"""
Settings of the project that third-party Django apps' own migrations build
(test/adopt/django-apps.test.mjs). DB_* and APPS (the apps' modules, comma-separated: only those
installed) come from the test.
"""
import os

SECRET_KEY = 'test-only, not secret'
DEBUG = False
INSTALLED_APPS = [
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
] + [a for a in os.environ.get('APPS', '').split(',') if a]
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': os.environ.get('DB_NAME', 'apps'),
        'USER': os.environ.get('DB_USER', 'postgres'),
        'PASSWORD': os.environ.get('DB_PASSWORD', ''),
        'HOST': os.environ.get('DB_HOST', '127.0.0.1'),
        'PORT': os.environ.get('DB_PORT', '5432'),
    },
}
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'
USE_TZ = True
TIME_ZONE = 'UTC'
# What the apps' system checks ask for (guardian's and axes' backends); nothing is served.
AUTHENTICATION_BACKENDS = ['django.contrib.auth.backends.ModelBackend']
if 'guardian' in INSTALLED_APPS:
    AUTHENTICATION_BACKENDS.append('guardian.backends.ObjectPermissionBackend')
if 'axes' in INSTALLED_APPS:
    AUTHENTICATION_BACKENDS.insert(0, 'axes.backends.AxesBackend')
MIDDLEWARE = [
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
] + (['axes.middleware.AxesMiddleware'] if 'axes' in INSTALLED_APPS else [])
TEMPLATES = [{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'APP_DIRS': True,
    'OPTIONS': {'context_processors': [
        'django.contrib.auth.context_processors.auth',
        'django.contrib.messages.context_processors.messages',
        'django.template.context_processors.request',
    ]},
}]

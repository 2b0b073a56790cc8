"""
A tiny Django TestCase run by "manage.py test --keepdb" on test_<NAME>, a test database that
pgpatch built beforehand (Django neither creates nor migrates it). When PGPATCH_DJANGO_REPORT
names a file, what the tests saw is written there as JSON for test/django/django.test.mjs.
"""
import json
import os
from decimal import Decimal

from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.test import TestCase

from myapp.models import Author, Book, BookSummary

REPORT = {}


def tearDownModule():
    path = os.environ.get('PGPATCH_DJANGO_REPORT')
    if path:
        with open(path, 'w') as f:
            json.dump(REPORT, f, cls=DjangoJSONEncoder, sort_keys=True)


class BookshopTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.author = Author.objects.create(name='Test Author', email='test.author@example.org')
        cls.book = Book.objects.create(isbn='9780306406157', title='Test Book', author=cls.author, price=Decimal('10.00'), stock=2)

    def test_database_is_the_one_pgpatch_built(self):
        with connection.cursor() as cursor:
            cursor.execute('select current_database(), current_user, '
                           "(select count(*) from audit.log where table_name = 'myapp_book' and new_row ->> 'id' = %s)",
                           [str(self.book.pk)])
            database, user, audited = cursor.fetchone()
        REPORT['database'] = {'name': database, 'user': user, 'book_insert_audited': audited,
                              'authors_seen': Author.objects.count(), 'books_seen': Book.objects.count()}
        self.assertEqual(database, connection.settings_dict['NAME'])
        self.assertTrue(database.startswith('test_'))
        self.assertEqual(audited, 1)

    def test_domain_rejects_a_bad_isbn(self):
        with self.assertRaises(IntegrityError) as raised, transaction.atomic():
            Book.objects.create(isbn='9780306406158', title='Typo', author=self.author, price=Decimal('1.00'))
        REPORT['bad_isbn'] = {'class': type(raised.exception).__name__, 'message': str(raised.exception).strip()}
        self.assertIn('isbn13_checksum_ck', str(raised.exception))

    def test_view_and_permissions(self):
        summary = BookSummary.objects.get(pk=self.book.pk)
        # The content types and permissions came from post_migrate, sent by the app's migrate.
        user = User.objects.create_user('clerk')
        user.user_permissions.add(Permission.objects.get(codename='change_book', content_type__app_label='myapp'))
        user = User.objects.get(pk=user.pk)
        REPORT['view'] = {'author_name': summary.author_name, 'copies_sold': summary.copies_sold}
        REPORT['permissions'] = {'clerk_can_change_book': user.has_perm('myapp.change_book'),
                                 'clerk_can_delete_book': user.has_perm('myapp.delete_book'),
                                 'content_type': str(ContentType.objects.get_for_model(BookSummary))}
        self.assertEqual(summary.author_name, 'Test Author')
        self.assertTrue(user.has_perm('myapp.change_book'))
        self.assertFalse(user.has_perm('myapp.delete_book'))

"""A TransactionTestCase: Django flushes (TRUNCATEs) every table after each test, as the test role."""
from decimal import Decimal

from django.test import TransactionTestCase

from myapp.models import Author, Book


class FlushTests(TransactionTestCase):
    def test_rows_written_outside_a_transaction(self):
        author = Author.objects.create(name='Flushed Author')
        Book.objects.create(isbn='9780306406157', title='Flushed Book', author=author, price=Decimal('1.00'))
        self.assertEqual(Book.objects.count(), 1)

    def test_the_flush_left_nothing(self):
        self.assertEqual(Author.objects.filter(name='Flushed Author').count(), 0)

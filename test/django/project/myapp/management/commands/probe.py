"""
`manage.py probe SCENARIO TAG`: runs one scenario through the ORM, as the application role, and
prints what happened as one JSON object on stdout. test/django/django.test.mjs asserts on it.

TAG makes the data of each run unique (names, e-mail addresses, ISBNs), so that scenarios can run
at the same time on one database.
"""
import json
import zlib
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from myapp.models import Author, Book, BookSummary, Order


def isbn13(tag, n):
    """A valid ISBN-13 (check digit included) derived from the tag, unique per (tag, n)."""
    body = '978' + f'{zlib.crc32(tag.encode()) % 10**7:07d}{n:02d}'
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def error_info(e):
    """The Django exception and what PostgreSQL said, from the psycopg2 error it wraps."""
    cause = e.__cause__
    diag = getattr(cause, 'diag', None)
    return {
        'class': f'{type(e).__module__}.{type(e).__qualname__}',
        'message': str(e).strip(),
        'sqlstate': getattr(cause, 'pgcode', None),
        'constraint': getattr(diag, 'constraint_name', None),
        'datatype': getattr(diag, 'datatype_name', None),
        'table': getattr(diag, 'table_name', None),
    }


def attempt(fn):
    """Runs fn in its own savepoint/transaction; returns {'ok': result} or {'error': ...}."""
    try:
        with transaction.atomic():
            return {'ok': fn()}
    except DatabaseError as e:
        return {'error': error_info(e)}
    except TypeError as e:
        return {'error': {'class': f'builtins.{type(e).__qualname__}', 'message': str(e)}}


def crud(tag):
    out = {'session': session()}
    author = Author.objects.create(name=f'Ann {tag}', email=f'ann.{tag}@example.org', born_on=date(1970, 5, 17))
    book = Book.objects.create(isbn=isbn13(tag, 1), title=f'First book {tag}', author=author, price=Decimal('12.50'), stock=3)
    out['created'] = {'author_id': author.id, 'book_id': book.id, 'isbn': book.isbn}
    # Read back through new queries, not the objects in memory.
    b = Book.objects.select_related('author').get(pk=book.pk)
    out['read'] = {'title': b.title, 'author': b.author.name, 'email': b.author.email, 'price': b.price, 'stock': b.stock,
                   'updated_at': b.updated_at}
    # The e-mail column has a case-insensitive collation: a lookup in other case finds it.
    out['email_lookup_other_case'] = Author.objects.filter(email=f'ANN.{tag.upper()}@EXAMPLE.ORG').count()
    # Update through save(), then through QuerySet.update(), which bypasses auto_now: the
    # table's trigger still moves updated_at.
    b.price = Decimal('14.00')
    b.save()
    before = Book.objects.get(pk=b.pk).updated_at
    Book.objects.filter(pk=b.pk).update(stock=F('stock') + 2)
    after = Book.objects.get(pk=b.pk)
    out['updated'] = {'price': after.price, 'stock': after.stock, 'updated_at_moved_by_trigger': after.updated_at > before}
    author.name = f'Ann B. {tag}'
    author.save(update_fields=['name'])
    # Delete: the book first through the queryset, then the author.
    out['deleted_books'] = Book.objects.filter(pk=b.pk).delete()[0]
    author.delete()
    out['left'] = {'authors': Author.objects.filter(pk=out['created']['author_id']).count(),
                   'books': Book.objects.filter(pk=out['created']['book_id']).count()}
    return out


def view(tag):
    author = Author.objects.create(name=f'Bea {tag}')
    in_print = Book.objects.create(isbn=isbn13(tag, 1), title=f'In print {tag}', author=author, price=Decimal('20.00'), stock=5)
    gone = Book.objects.create(isbn=isbn13(tag, 2), title=f'Discontinued {tag}', author=author, price=Decimal('9.99'),
                               discontinued_at=timezone.now())
    customer = User.objects.create_user(username=f'reader_{tag}', email=f'reader.{tag}@example.org')
    # Orders go to the partition of their year; 2020 has none, so it lands in the default one.
    for when, qty in (('2024-03-01T10:00:00Z', 2), ('2025-07-14T10:00:00Z', 3), ('2020-01-01T00:00:00Z', 1)):
        Order.objects.create(ordered_at=when, customer=customer, book=in_print, quantity=qty, unit_price=in_print.price)
    rows = list(BookSummary.objects.filter(author_name=f'Bea {tag}').order_by('title').values())
    summary = BookSummary.objects.get(pk=in_print.pk)
    return {
        'rows': rows,
        'by_pk': {'title': summary.title, 'copies_sold': summary.copies_sold, 'in_print': summary.in_print},
        'in_print_titles': list(BookSummary.objects.filter(in_print=True, author_name=f'Bea {tag}').values_list('title', flat=True)),
        'save': attempt(lambda: summary.save()),
        # The guard in save() aside, the database refuses writes to the view itself.
        'queryset_update': attempt(lambda: BookSummary.objects.filter(pk=in_print.pk).update(stock=0)),
        'order_partitions': order_partitions(in_print.pk),
    }


def order_partitions(book_id):
    with connection.cursor() as cursor:
        cursor.execute('select extract(year from ordered_at)::int, tableoid::regclass::text from myapp_order '
                       'where book_id = %s order by 1', [book_id])
        return {str(year): partition for year, partition in cursor.fetchall()}


def constraints(tag):
    author = Author.objects.create(name=f'Cy {tag}', email=f'cy.{tag}@example.org')
    good = isbn13(tag, 1)
    bad_checksum = good[:-1] + str((int(good[-1]) + 1) % 10)
    Book.objects.create(isbn=good, title=f'Good {tag}', author=author, price=Decimal('1.00'), stock=1)
    return {
        'good_isbn': good,
        'bad_isbn': bad_checksum,
        'bad_checksum': attempt(lambda: Book.objects.create(
            isbn=bad_checksum, title=f'Bad {tag}', author=author, price=Decimal('1.00'))),
        'bad_format': attempt(lambda: Book.objects.create(
            isbn='0306406152', title=f'ISBN-10 {tag}', author=author, price=Decimal('1.00'))),
        'bad_email': attempt(lambda: Author.objects.create(name=f'No mail {tag}', email=f'not an address {tag}')),
        'email_other_case': attempt(lambda: Author.objects.create(name=f'Cy again {tag}', email=f'CY.{tag.upper()}@Example.ORG')),
        'oversold': attempt(lambda: Book.objects.filter(isbn=good).update(stock=F('stock') - 2)),
        'books_of_author': Book.objects.filter(author=author).count(),
    }


def audit_permissions(tag):
    """What the application role can do to the audit trail: read it, and nothing else."""
    def raw(sql, params=()):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else cursor.rowcount
        return attempt(run)

    return {
        'session': session(),
        'select': raw('select count(*) from audit.log'),
        'update': raw("update audit.log set operation = 'DELETE' where table_name = 'myapp_book'"),
        'delete': raw("delete from audit.log where table_name = 'myapp_book'"),
        'truncate': raw('truncate audit.log'),
        'insert': raw("insert into audit.log (table_schema, table_name, operation, new_row) values ('myapp', 'myapp_book', 'INSERT', '{}')"),
        'disable_trigger': raw('alter table myapp_book disable trigger myapp_book_audit'),
        'drop_trigger': raw('drop trigger myapp_book_audit on myapp_book'),
    }


def session():
    with connection.cursor() as cursor:
        cursor.execute("select current_user, session_user, (select rolsuper from pg_roles where rolname = current_user), "
                       "current_setting('search_path'), current_database()")
        user, login, superuser, search_path, database = cursor.fetchone()
    return {'current_user': user, 'session_user': login, 'superuser': superuser, 'search_path': search_path,
            'database': database}


SCENARIOS = {
    'crud': crud,
    'view': view,
    'constraints': constraints,
    'audit_permissions': audit_permissions,
    'session': lambda tag: session(),
}


class Command(BaseCommand):
    help = 'Runs one ORM scenario and prints the outcome as JSON (for the pgpatch tests).'

    def add_arguments(self, parser):
        parser.add_argument('scenario', choices=sorted(SCENARIOS))
        parser.add_argument('tag', help='makes the names, e-mail addresses and ISBNs of this run unique')

    def handle(self, *args, **options):
        if not options['tag'].isalnum():
            raise CommandError('TAG: letters and digits only')
        result = SCENARIOS[options['scenario']](options['tag'])
        self.stdout.write(json.dumps(result, cls=DjangoJSONEncoder, sort_keys=True))

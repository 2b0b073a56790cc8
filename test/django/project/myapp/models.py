"""
Models of the demo schema's bookshop (fixtures/demo/myapp.sql).

managed = False everywhere: the tables, domains, triggers and permissions come from the schema
files, and Django must never create, alter or drop them. The database does the checking Django
cannot: an ISBN with a bad check digit (domain isbn13), an e-mail address that differs only in
case from another one (collation of domain email_address), stock below zero, and the audit trail.
"""
from django.conf import settings
from django.db import models


class Author(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.TextField()
    # Domain email_address: case-insensitive collation, unique, format checked by the database.
    email = models.EmailField(null=True, blank=True, unique=True)
    born_on = models.DateField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = 'myapp_author'

    def __str__(self):
        return self.name


class Book(models.Model):
    id = models.BigAutoField(primary_key=True)
    # Domain isbn13: a wrong check digit is an IntegrityError, whoever writes it.
    isbn = models.CharField(max_length=13, unique=True)
    title = models.TextField()
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name='books')
    price = models.DecimalField(max_digits=8, decimal_places=2)
    stock = models.IntegerField(default=0)
    published_on = models.DateField(null=True, blank=True)
    discontinued_at = models.DateTimeField(null=True, blank=True)
    # Django 3.2 has no db_default: auto_now fills it on save(), and the table's trigger
    # myapp_book_touch_updated_at on every UPDATE, QuerySet.update() included.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        managed = False
        db_table = 'myapp_book'

    def __str__(self):
        return self.title


class Order(models.Model):
    # The table is partitioned by ordered_at and its primary key is (id, ordered_at): Django
    # only needs a unique column to call the primary key, and the identity keeps id unique.
    id = models.BigAutoField(primary_key=True)
    ordered_at = models.DateTimeField()
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name='orders')
    quantity = models.IntegerField()
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        managed = False
        db_table = 'myapp_order'


class BookSummary(models.Model):
    """Read-only, backed by the view myapp_book_summary: the aggregation is done by the database."""
    id = models.BigIntegerField(primary_key=True)
    isbn = models.CharField(max_length=13)
    title = models.TextField()
    author_name = models.TextField()
    price = models.DecimalField(max_digits=8, decimal_places=2)
    stock = models.IntegerField()
    copies_sold = models.BigIntegerField()
    in_print = models.BooleanField()

    class Meta:
        managed = False
        db_table = 'myapp_book_summary'

    def save(self, *args, **kwargs):
        raise TypeError('BookSummary is read-only: it is the view myapp_book_summary')

    def delete(self, *args, **kwargs):
        raise TypeError('BookSummary is read-only: it is the view myapp_book_summary')

"""Ordinary managed models: Django's migrations create their tables, sequences, indexes and keys."""
from django.conf import settings
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100, unique=True)
    born = models.DateField(null=True)


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name='books')
    title = models.CharField(max_length=200, db_index=True)
    isbn = models.CharField(max_length=13, unique=True)
    pages = models.PositiveIntegerField(default=0)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField('Tag', blank=True)
    published = models.BooleanField(default=False)  # added by migration 0002

    class Meta:
        constraints = [models.CheckConstraint(check=models.Q(price__gte=0), name='shop_book_price_not_negative')]
        indexes = [models.Index(fields=['author', 'title'], name='shop_book_author_title')]


class Tag(models.Model):
    slug = models.SlugField(unique=True)

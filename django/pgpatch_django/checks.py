"""
The model check, the replacement of `makemigrations --check` when the schema is SQL: every
concrete model (managed or not, on a table or a view, auto-created many-to-many tables included)
has its table or view in the database, and every column of its fields exists with a type of
the same family (integers, text, numeric, ...) and a nullability that fits (a nullable field on
a NOT NULL column fails; the other way round is left alone: Django never writes NULL there).

It is a Django system check tagged "database": `manage.py check --database default` runs it,
and so does the test runner on each test database (a clone of `pgpatch testdb`'s template, so
the database built from the schema files). In CI: `pgpatch testdb`, then `manage.py test`, or
`manage.py check --database default` on a database pgpatch built.

Limits: tables are looked up by name on the connection's search_path (a db_table written
"schema"."table" is not read); a domain counts as its base type (one level); a field whose
db_type Django does not know (None) is not checked; integer widths are not compared.
"""
import re

from django.apps import apps
from django.core import checks
from django.db import connections, router

FAMILIES = {
    'smallint': 'integer', 'integer': 'integer', 'bigint': 'integer',
    'smallserial': 'integer', 'serial': 'integer', 'bigserial': 'integer',
    'character varying': 'text', 'varchar': 'text', 'text': 'text', 'character': 'text', 'char': 'text',
    'citext': 'text', 'name': 'text',
    'numeric': 'numeric', 'decimal': 'numeric',
    'double precision': 'float', 'real': 'float',
    'timestamp with time zone': 'timestamptz', 'timestamptz': 'timestamptz',
    'timestamp without time zone': 'timestamp', 'timestamp': 'timestamp',
    'time without time zone': 'time', 'time': 'time', 'time with time zone': 'timetz',
    'json': 'json', 'jsonb': 'json', 'inet': 'inet', 'cidr': 'inet',
}

COLUMNS = """
select distinct on (c.relname, a.attnum) c.relname, c.relkind, a.attname, a.attnotnull,
       format_type(case when t.typtype = 'd' then t.typbasetype else a.atttypid end,
                   case when t.typtype = 'd' then t.typtypmod else a.atttypmod end) as type
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  left join pg_type t on t.oid = a.atttypid
 where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname = any(current_schemas(false))
 order by c.relname, a.attnum, array_position(current_schemas(false), n.nspname)
"""


def _kind(db_type):
    """(family, array depth, varchar length or None) of a type as Django or format_type writes it."""
    t = db_type.strip().lower()
    depth = t.count('[]')
    t = t.replace('[]', '').strip()
    m = re.match(r'^([a-z ]+?)\s*(?:\((\d+)(?:\s*,\s*\d+)?\))?(?: with(?:out)? time zone)?$', t)
    base = t if not m else t.split('(')[0].strip()
    if ' with' in t and '(' in t:  # timestamp(3) with time zone
        base = re.sub(r'\(\d+\)', '', t).strip()
    length = int(m.group(2)) if m and m.group(2) and base in ('character varying', 'varchar', 'character', 'char') else None
    return FAMILIES.get(base, base), depth, length


def _tables(connection):
    tables = {}
    with connection.cursor() as cursor:
        cursor.execute(COLUMNS)
        for relname, relkind, attname, notnull, type_ in cursor.fetchall():
            table = tables.setdefault(relname, {'kind': relkind, 'columns': {}})
            if attname:
                table['columns'][attname] = (type_, notnull)
    return tables


def _problems(model, connection, tables):
    meta = model._meta
    table = tables.get(meta.db_table)
    if table is None:
        yield checks.Error(
            f'{meta.label}: no table or view {meta.db_table} in database {connection.settings_dict["NAME"]}',
            hint='add it to the schema files and write a patch (npx pgpatch makemigrations), or fix db_table',
            obj=model, id='pgpatch.E001')
        return
    what = 'view' if table['kind'] in ('v', 'm') else 'table'
    for field in meta.local_concrete_fields:
        column = table['columns'].get(field.column)
        if column is None:
            yield checks.Error(
                f'{meta.label}.{field.name}: no column {field.column} in {what} {meta.db_table}',
                hint='add the column to the schema files and write a patch, or fix the field (db_column)',
                obj=field, id='pgpatch.E002')
            continue
        type_, notnull = column
        wanted = field.db_type(connection)
        if wanted:
            want, have = _kind(wanted), _kind(type_)
            if want[:2] != have[:2]:
                yield checks.Error(
                    f'{meta.label}.{field.name}: the model says {wanted}, column {meta.db_table}.{field.column} is {type_}',
                    obj=field, id='pgpatch.E003')
            elif want[2] and have[2] and have[2] < want[2]:
                yield checks.Error(
                    f'{meta.label}.{field.name}: max_length {want[2]} is longer than column {meta.db_table}.{field.column} ({type_})',
                    obj=field, id='pgpatch.E003')
        if field.null and notnull:
            yield checks.Error(
                f'{meta.label}.{field.name}: null=True, but column {meta.db_table}.{field.column} is NOT NULL',
                obj=field, id='pgpatch.E004')


@checks.register(checks.Tags.database)
def models_match_database(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != 'postgresql':
            continue
        tables = _tables(connection)
        configs = app_configs or apps.get_app_configs()
        for config in configs:
            for model in config.get_models(include_auto_created=True):
                meta = model._meta
                if meta.proxy or meta.swapped or not router.allow_migrate(alias, meta.app_label, model_name=meta.model_name):
                    continue
                errors.extend(_problems(model, connection, tables))
    return errors

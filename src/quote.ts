/**
 * SQL identifiers and literals in SQL text: the one place pgpatch quotes them (adopt's files,
 * check's messages, the record, the embedded server's databases, psql variables).
 *
 * `quoteIdent` is PostgreSQL's quote_ident() (quote_identifier() in ruleutils.c): a name stays
 * bare only when it is lower-case letters, digits and underscores, does not start with a digit,
 * and is not a keyword of the reserved, type/function-name or column-name categories. Anything
 * else is double-quoted, with its double quotes doubled.
 */

/**
 * The keywords quote_ident() quotes, by category: every word of PostgreSQL 18's
 * src/include/parser/kwlist.h that is not UNRESERVED_KEYWORD, as `select word, catcode from
 * pg_get_keywords()` reports it on 18.4 (R reserved, T type_func_name, C col_name).
 * Newer majors add keywords: a name that is one only from 18 on (json, system_user, ...) is
 * quoted for every major, which older servers read the same. test/quote.test.mjs compares this
 * function with the server's quote_ident() for every keyword on each test server.
 */
const KEYWORDS: Record<'R' | 'T' | 'C', string> = {
  R: `all analyse analyze and any array as asc asymmetric both case cast check collate column
    constraint create current_catalog current_date current_role current_time current_timestamp
    current_user default deferrable desc distinct do else end except false fetch for foreign from
    grant group having in initially intersect into lateral leading limit localtime localtimestamp not
    null offset on only or order placing primary references returning select session_user some
    symmetric system_user table then to trailing true union unique user using variadic when where
    window with`,
  T: `authorization binary collation concurrently cross current_schema freeze full ilike inner is
    isnull join left like natural notnull outer overlaps right similar tablesample verbose`,
  C: `between bigint bit boolean char character coalesce dec decimal exists extract float greatest
    grouping inout int integer interval json json_array json_arrayagg json_exists json_object
    json_objectagg json_query json_scalar json_serialize json_table json_value least merge_action
    national nchar none normalize nullif numeric out overlay position precision real row setof
    smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement
    xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`,
};

const NEEDS_QUOTES = new Set(Object.values(KEYWORDS).flatMap((words) => words.split(/\s+/)));

/** An identifier as PostgreSQL's quote_ident() writes it: quoted only when it must be. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !NEEDS_QUOTES.has(name) ? name : quoteIdentAlways(name);
}

/** `schema.name`, each part as quoteIdent writes it. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Always in double quotes, as psql's `:"name"` and PQescapeIdentifier write it. */
export function quoteIdentAlways(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A string literal as quote_literal() and psql's `:'name'` write it: E'' with doubled
 * backslashes when the value holds one, so it reads the same whatever standard_conforming_strings is.
 */
export function quoteLiteral(value: string): string {
  const body = value.replace(/'/g, "''");
  return value.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

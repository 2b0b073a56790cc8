// The one quoting module against the server itself: quoteIdent gives what PostgreSQL's
// quote_ident() gives for every keyword the server knows (pg_get_keywords()) and for odd names,
// and quoteLiteral's text reads back as the same string whatever standard_conforming_strings is.
// On PostgreSQL 15 a word that became a keyword later (json, system_user, ...) is quoted by
// quoteIdent and not by the server: quoting it is what the newest major needs, and harmless on older ones.
import test from 'ava';
import { quoteIdent, quoteIdentAlways, quoteLiteral, quoteQualified } from 'pgpatch';
import { query } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';

const ODD = [
  'user',
  'User',
  'order',
  'Order',
  '1abc',
  'a1',
  '_x',
  'a$b',
  'a b',
  'a"b',
  'café',
  'ßa',
  'x-y',
  '',
  'a.b',
  'select',
  'ok_name',
  'int4',
  'text',
  'public',
];

eachServer(test, 'quoteIdent is quote_ident() for every keyword and odd names', async (t, server) => {
  const { rows } = await query(
    server.url,
    `select word, catcode, quote_ident(word) as q from pg_get_keywords()
    union all select n, null, quote_ident(n) from unnest($1::text[]) as n`,
    [ODD],
  );
  t.true(rows.length > 400);
  const wrong = rows.filter((r) => quoteIdent(r.word) !== r.q).map((r) => ({ word: r.word, server: r.q, ours: quoteIdent(r.word) }));
  if (server.major >= 18) {
    t.deepEqual(wrong, []);
  } else {
    // Only over-quoting of words that are keywords in a newer major.
    t.deepEqual(
      wrong.filter((w) => w.ours !== `"${w.word}"`),
      [],
    );
    t.true(wrong.length < 40, JSON.stringify(wrong));
  }
  t.is(quoteIdent('order'), '"order"');
  t.is(quoteIdent('int'), '"int"');
  t.is(quoteIdent('left'), '"left"');
  t.is(quoteIdent('name'), 'name');
});

eachServer(test, 'quoted names and literals read back as they were', async (t, server) => {
  const values = ["it's", 'back\\slash', "both \\ and '", 'a"b', 'plain', '', 'é\n\ttab'];
  for (const scs of ['on', 'off']) {
    const { rows } = await query(
      server.url,
      `set standard_conforming_strings = ${scs}; select ${values.map((v, i) => `${quoteLiteral(v)} as v${i}`).join(', ')}`,
    ).then((r) => (Array.isArray(r) ? r[1] : r));
    t.deepEqual(Object.values(rows[0]), values, `standard_conforming_strings = ${scs}`);
  }
  const names = ['User', 'order', 'a"b', 'ok', '1x'];
  const { rows } = await query(
    server.url,
    `select ${names.map((n, i) => `1 as ${quoteIdent(n)}, 2 as ${quoteIdentAlways(n + i)}`).join(', ')}`,
  );
  t.deepEqual(
    Object.keys(rows[0]),
    names.flatMap((n, i) => [n, n + i]),
  );
  t.is(quoteQualified('public', 'user'), 'public."user"');
});

// diff's round trip over the corpus (test/diff/corpus/*.sql): for every case, diff(A, B) applied
// to A gives B, and diff(B, A) applied to B gives A, by the schema model (column order aside),
// on PostgreSQL 18 and 15. Cases listed in KNOWN are known failures (test.failing), with the cause.
import test from 'ava';
import { eachServer } from '../helpers/servers.mjs';
import { corpusCases, roundTrip } from './_roundtrip.mjs';

/** Cases that do not round-trip yet, by `file: name`, with why (also in README and bench/RESULTS.md). */
export const KNOWN = {
  '15-inheritance.sql: parent column dropped from the parent only':
    "the way back needs the child's column made inherited only again, which PostgreSQL cannot do in place (diff says so in a note)",
};

for (const c of corpusCases()) {
  const title = `${c.file.replace(/\.sql$/, '')}: ${c.name}`;
  const known = KNOWN[`${c.file}: ${c.name}`];
  // A known failure is run too, as test.failing: it says so when it starts passing.
  eachServer(
    known ? test.failing : test,
    `round trip both ways: ${title}${known ? ` (known failure: ${known})` : ''}`,
    async (t, server) => {
      const r = await roundTrip(server.url, c, server.major);
      t.true(r.forward.ok, `A -> B: ${r.forward.cause}\n${r.forward.sql}`);
      t.true(r.backward.ok, `B -> A: ${r.backward.cause}\n${r.backward.sql}`);
    },
  );
}

// readRecord reads the whole record as one text value: every value comes back as written,
// whatever it holds (tabs, newlines, backslashes, a lone \N), and nulls stay null.
import test from 'ava';
import { connect, ensureRecord, readRecord, writeRecord, targetFrom } from 'pgpatch';
import { createDatabase } from '../helpers/database.mjs';
import { eachServer } from '../helpers/servers.mjs';

eachServer(test, 'readRecord gives back names and errors with tabs, newlines and backslashes as written', async (t, server) => {
  const db = await createDatabase(server.url, 'record_read');
  t.teardown(() => db.drop());
  const s = await connect(targetFrom(db.url, 'test'));
  try {
    t.is((await readRecord(s, 'public')).size, 0, 'no table: nothing');
    await ensureRecord(s, 'public');
    t.is((await readRecord(s, 'public')).size, 0, 'an empty table: nothing');
    const odd = 'a\tb\nc\\d\\N\\t';
    await writeRecord(s, 'public', {
      name: `${odd}.sql`,
      status: 'failed',
      stage: 'patch',
      durationMs: 12,
      error: 'line 1\nline\t2 \\x \\N',
    });
    await writeRecord(s, 'public', { name: '\\N', status: 'applied', stage: null, checksum: 'abc' });
    const { rows } = await s.query('select name, (extract(epoch from status_date) * 1000)::float8 as ms from schema_patch');
    const ms = Object.fromEntries(rows.map((r) => [r.name, r.ms]));
    const record = await readRecord(s, 'public', { details: true });
    t.deepEqual([...record.keys()].sort(), [odd, '\\N'].sort());
    t.like(record.get(odd), {
      name: odd,
      status: 'failed',
      stage: 'patch',
      checksum: null,
      error: 'line 1\nline\t2 \\x \\N',
      statusDate: ms[`${odd}.sql`],
    });
    t.like(record.get(odd).details, { durationMs: 12 });
    t.like(record.get('\\N'), { name: '\\N', status: 'applied', stage: null, checksum: 'abc', error: null, statusDate: ms['\\N'] });
    t.like(record.get('\\N').details, { durationMs: null });
  } finally {
    await s.end();
  }
});

eachServer(
  test,
  'readRecord gives each status_date as the float8 the guarded record write compares it with, to the bit',
  async (t, server) => {
    const db = await createDatabase(server.url, 'record_dates');
    t.teardown(() => db.drop());
    const s = await connect(targetFrom(db.url, 'test'));
    try {
      await ensureRecord(s, 'public');
      const dates = [
        '2026-11-27 07:56:41.300023+00',
        '2026-11-27 07:56:41.000001+00',
        '2026-11-27 07:56:41+00',
        '1969-12-31 23:59:59.999999+00',
        '1900-01-01 00:00:00.123457+00',
        '9999-12-31 23:59:59.999999+00',
        '20000-06-01 12:00:00.5+00',
        '0001-01-01 00:00:00.000001+00',
        'infinity',
        '-infinity',
      ];
      for (const [i, d] of dates.entries()) {
        await writeRecord(s, 'public', { name: `p${i}`, status: 'applied' });
        await s.query('update schema_patch set status_date = $1 where name = $2', [d, `p${i}`]);
      }
      const { rows } = await s.query('select name, (extract(epoch from status_date) * 1000)::float8 as ms from schema_patch');
      const record = await readRecord(s, 'public');
      for (const r of rows)
        t.true(Object.is(record.get(r.name).statusDate, r.ms), `${r.name}: ${record.get(r.name).statusDate} is not ${r.ms}`);
      // And the server agrees: the guard's own comparison holds for every row.
      const checked = await s.query(
        `select count(*)::int as n from schema_patch where (extract(epoch from status_date) * 1000)::float8 = any($1::float8[])`,
        [[...record.values()].map((r) => String(r.statusDate))],
      );
      t.is(checked.rows[0].n, dates.length);
    } finally {
      await s.end();
    }
  },
);

// isoDate (src/engine/patches/status.ts) is Date's toISOString made faster for showmigrations:
// it must give the same text for every time, rows of the same day in a row or not.
import test from 'ava';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { isoDate } = require('../../dist/engine/patches/status.js');

test('the same text as toISOString, from 1970 to 9999 and beyond', (t) => {
  const times = [0, 0.5, 999.999, 86399999.9, 86400000, 951782400000, 253402300799999, 253402300800000, -1, -86400001, -62198755200000];
  let x = 12345;
  const random = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 20000; i++) {
    times.push(random() * 253402300800000);
    times.push(1795765497300.023 + i * 997.3); // runs of the same day
  }
  const wrong = times.filter((ms) => isoDate(ms) !== new Date(ms).toISOString());
  t.deepEqual(wrong, []);
});

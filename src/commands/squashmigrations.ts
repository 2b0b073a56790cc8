/**
 * `pgpatch squashmigrations`: archives the patches the target database has into YYYY/MM/ folders
 * (`git mv` inside a work tree). The database is only read. The record's schema comes from the
 * global --record-schema (PGPATCH_RECORD_SCHEMA), as for migrate and showmigrations.
 */
import type { Command } from 'commander';
import { EXIT } from '../errors';
import { action, globals, paths, say, target } from './common';

interface Flags {
  byYear?: boolean;
  before?: string;
  dryRun?: boolean;
}

export function register(program: Command): void {
  program
    .command('squashmigrations')
    .description('move the patches the target database has applied (or assumed, or skipped) into YYYY/MM/ folders')
    .option('--by-year', 'one folder per year (YYYY/) instead of YYYY/MM/')
    .option('--before <date>', 'only patches dated before this day (YYYY-MM-DD)')
    .option('--dry-run', 'list the moves without making them')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const flags = globals(cmd) as ReturnType<typeof globals> & Flags;
        const { patchesDir } = paths(flags);
        const { checkDay, squashMigrations } = await import('../engine/authoring/squashmigrations.js');
        if (flags.before !== undefined) checkDay(flags.before, '--before'); // before connecting
        const { target: t } = await target(flags, say);
        const r = await squashMigrations({
          target: t,
          patchesDir,
          recordSchema: flags.recordSchema,
          byYear: flags.byYear,
          before: flags.before,
          dryRun: flags.dryRun,
        });
        if (flags.json) {
          const { printJson } = await import('../output/json.js');
          printJson(r);
          return EXIT.ok;
        }
        const { displayPath } = await import('../output/text.js');
        if (!r.recordFound) say(`pgpatch: ${r.target} has no ${r.recordSchema}.schema_patch table: no patch counts as applied`);
        for (const m of r.moves) {
          for (const f of m.files)
            process.stdout.write(`${r.dryRun ? 'would move' : 'moved'} ${displayPath(f.from)} -> ${displayPath(f.to)}\n`);
        }
        for (const m of r.moves.filter((x) => x.relativeIncludes)) {
          say(`pgpatch: note: ${m.name} includes files by relative path; from its new folder, "sqlmigrate --expand" needs --include-root`);
        }
        const count = (reason: string) => r.stays.filter((s) => s.reason === reason).length;
        for (const s of r.stays.filter((x) => x.reason === 'undated')) {
          say(`pgpatch: left ${displayPath(s.path)}: its name does not start with a date (YYYY-MM-DD)`);
        }
        const left = ['pending', 'failed', 'applying', 'too-recent', 'undated', 'in-place']
          .map((reason) => [reason, count(reason)] as const)
          .filter(([, n]) => n > 0)
          .map(
            ([reason, n]) =>
              `${n} ${reason === 'too-recent' ? `not before ${flags.before}` : reason === 'in-place' ? 'already archived' : reason}`,
          );
        const files = r.moves.reduce((n, m) => n + m.files.length, 0);
        const how = r.dryRun
          ? ''
          : r.via.git && r.via.rename
            ? ` (${r.via.git} with git mv)`
            : r.via.git
              ? ' with git mv'
              : r.moves.length
                ? ' (not in git: renamed)'
                : '';
        say(
          `pgpatch: ${r.dryRun ? 'would move' : 'moved'} ${r.moves.length} patch(es), ${files} file(s)${how}${left.length ? `; left ${left.join(', ')}` : ''}`,
        );
        return EXIT.ok;
      }),
    );
}

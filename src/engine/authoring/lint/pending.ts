/** The patches `lint` checks by default: those migrate would still run, read like showmigrations. */
import { showMigrations, type ShowOptions } from '../../migrate/showmigrations';

const TO_RUN = new Set(['pending', 'failed', 'applying']);

export async function pendingPatchNames(options: ShowOptions): Promise<Set<string>> {
  const shown = await showMigrations(options);
  return new Set(shown.patches.filter((r) => r.file && TO_RUN.has(r.state)).map((r) => r.name));
}

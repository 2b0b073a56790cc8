/**
 * `renderSchemaFiles`: a `SchemaModel` as plain SQL schema files, one per app plus the shared ones.
 *
 * A pure function: model in, file names and texts out. Every name is written schema-qualified,
 * as the model has it (the deparsers ran with search_path = pg_catalog), so the files load the
 * same whatever search_path the loading session has.
 *
 * Where the parts are: file-layout.ts (which files, in which order, and what each holds),
 * dependency-order.ts (which of those files each type, function and view goes into, and its place
 * there), database-file.ts (database.sql), sql-relations.ts, sql-types-routines.ts,
 * sql-database-wide.ts (publications, event triggers) and sql-pieces.ts (the statements of each
 * kind of object).
 *
 * Limits (see README, "Switching an existing Django project"): owners are written only where
 * they differ from the role that owns most objects (load as that role); foreign tables, range
 * types with canonical functions, and the owner's own revoked privileges are not carried over.
 */
import type { SchemaModel } from '../inspect/model';
import { layOutFiles } from './file-layout';
import type { RenderContext, RenderOptions, RenderResult } from './types';

export type { RenderContext, RenderedFile, RenderOptions, RenderResult } from './types';

export function renderSchemaFiles(model: SchemaModel, options: RenderOptions = {}): RenderResult {
  const ctx: RenderContext = {
    model,
    options,
    mainOwner: mainOwnerOf(model),
    notCarried: [],
  };
  const files = layOutFiles(ctx);
  return { files, mainOwner: ctx.mainOwner, notCarried: ctx.notCarried };
}

/** The role that owns most tables, views, sequences, functions and types: the one to load as. */
export function mainOwnerOf(model: SchemaModel): string | undefined {
  return mostCommon(
    [
      ...Object.values(model.tables),
      ...Object.values(model.views),
      ...Object.values(model.sequences),
      ...Object.values(model.functions),
      ...Object.values(model.types),
    ].map((o) => o.owner),
  );
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

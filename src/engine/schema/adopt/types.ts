/** The shapes adopt's renderer and its parts share: in a file of their own so the parts need not import render.ts back. */
import type { Dependency, SchemaModel } from '../inspect/model';

export interface RenderOptions {
  /** Table-name prefixes that name the apps (`auth`, `django`, `myapp`); default: the text before the first `_`. */
  apps?: string[];
  /** Tables left out of the model on purpose, named in a comment of database.sql. */
  leftOut?: string[];
  /**
   * What depends on what (`inspectDependencies`). Without it, only what the model's texts show:
   * functions whose signature names a table or view, views whose query names another view.
   */
  dependencies?: Dependency[];
}

export interface RenderedFile {
  /** Relative to the schema folder. */
  name: string;
  content: string;
  /** What it holds, for people: `3 tables`. */
  summary: string;
}

export interface RenderResult {
  /** In the order database.sql includes them; database.sql last. */
  files: RenderedFile[];
  /** The role most objects belong to: the files say "owner to" only for other owners. */
  mainOwner?: string;
  /** Objects the model has but the files do not create (or create before something they need), with why. */
  notCarried: Array<{ object: string; reason: string }>;
}

/** What the parts of one rendering share (not exported by the package). */
export interface RenderContext {
  readonly model: SchemaModel;
  readonly options: RenderOptions;
  readonly mainOwner?: string;
  /** Added to as the files are written: in that order, which is the order adopt reports them in. */
  readonly notCarried: RenderResult['notCarried'];
}

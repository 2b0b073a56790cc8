/** The library API: the engine's functions, their results and their errors. Nothing here prints. */
export * from './errors';
export { connect, withSession, type Session } from './engine/db';
export { resolveTarget as targetFrom, onDatabase, targetOf, type Target, type ScratchChoice } from './target';
export { maskPassword } from './connection-settings';
export { compileScript, type CompiledScript, type Step, type CompileOptions } from './engine/script/compile';
export { executeSteps, type ScriptEvent } from './engine/script/execute';
export { loadScript, type LoadOptions, type LoadResult } from './engine/script/load';
export {
  startCluster,
  startEmbedded,
  recreateDatabase,
  embeddedBinDir,
  type Cluster,
  type ClusterOptions,
  type EmbeddedDatabase,
} from './engine/embedded';
export { resolveTarget, resolvePaths } from './settings';
export {
  openRepo,
  isRepo,
  GitRepo,
  GitError,
  GitRefError,
  NoMergeBaseError,
  GitUnavailableError,
  type GitUnavailable,
  type ChangedFile,
  type SchemaDiff,
  type DiffBase,
} from './engine/git';
export {
  makeMigration,
  checkMigrations,
  slugify,
  nextPatchName,
  localDate,
  renderTemplate,
  commentLines,
  TemplateError,
  PatchWriteError,
  type MakeMigrationOptions,
  type MakeMigrationResult,
  type CheckOptions,
  type CheckResult,
} from './engine/authoring/makemigrations';
export {
  showPatch,
  sqlMigrate,
  expandPatch,
  type PatchShown,
  type ExpandedStatement,
  type SqlMigrateResult,
} from './engine/authoring/sqlmigrate';
export { lookupPatch, PatchLookupError } from './engine/patches/lookup';
export { scaffold, ScaffoldError, type ScaffoldOptions, type ScaffoldResult } from './engine/authoring/init';
export {
  squashMigrations,
  planSquash,
  SquashError,
  type SquashOptions,
  type SquashResult,
  type SquashPlan,
} from './engine/authoring/squashmigrations';
export {
  inspectDatabase,
  inspectDependencies,
  compareModels,
  DEFAULT_EXCLUDE,
  UnsupportedServerError,
  type SchemaModel,
  type InspectOptions,
  type ExcludeTable,
  type Difference,
  type DifferenceKind,
  type CompareLabels,
  type Grants,
  type Schema as ModelSchema,
  type Extension as ModelExtension,
  type Collation as ModelCollation,
  type TypeDef as ModelType,
  type Table as ModelTable,
  type View as ModelView,
  type Column as ModelColumn,
  type Identity as ModelIdentity,
  type Constraint as ModelConstraint,
  type Index as ModelIndex,
  type Trigger as ModelTrigger,
  type Policy as ModelPolicy,
  type Rule as ModelRule,
  type Statistics as ModelStatistics,
  type Sequence as ModelSequence,
  type Routine as ModelRoutine,
  type DefaultPrivileges as ModelDefaultPrivileges,
  type Publication as ModelPublication,
  type PublicationTable as ModelPublicationTable,
  type EventTrigger as ModelEventTrigger,
} from './engine/schema/inspect';
export {
  adopt,
  renderSchemaFiles,
  AdoptFilesExistError,
  DJANGO_MIGRATIONS,
  type AdoptOptions,
  type AdoptResult,
  type RenderOptions,
  type RenderResult,
  type RenderedFile,
} from './engine/schema/adopt';
export { migrate } from './engine/migrate/migrate';
export type {
  MigrateOptions,
  MigrateResult,
  MigrateEvent,
  PatchOutcome,
  OutcomeStatus,
  Question,
  Decision,
  PatchCopy,
} from './engine/migrate/types';
export { showMigrations, type ShowOptions, type ShowResult } from './engine/migrate/showmigrations';
export {
  check,
  type CheckOptions as SchemaCheckOptions,
  type CheckResult as SchemaCheckResult,
  type CheckEvent as SchemaCheckEvent,
} from './engine/schema/check/check';
export {
  findPatches,
  scanPatches,
  withRecorded,
  type PatchFile,
  type PatchScan,
  type StrayFile,
  type StrayReason,
  type NotPatch,
} from './engine/patches/files';
export { patchStates, type PatchState, type PatchStatusRow } from './engine/patches/status';
export {
  ensureRecord,
  readRecord,
  writeRecord,
  writeRecords,
  recordExists,
  RECORD_TABLE,
  type RecordRow,
  type RecordWrite,
  type PatchStatus,
  type PatchStage,
} from './engine/patches/recorder';
export {
  resolveConnection,
  parseConnectionString,
  parseServiceFile,
  serviceFiles,
  sslPlan,
  describeConnection,
  passwordFromFile,
  SSL_MODES,
  type ConnInfo,
  type ResolvedConnection,
  type SslPlan,
  type SslMode,
} from './connection-settings';
export { quoteIdent, quoteIdentAlways, quoteLiteral, quoteQualified } from './quote';
export { type NotEmpty } from './engine/script/load';
export { lintPatches, type LintOptions, type LintResult, type LintFinding, type PatchLint } from './engine/authoring/lint/lint';
export { tryPatch, type TryOptions, type TryResult, type TracedStatement, type TracedLock } from './engine/authoring/try/try';
export { tryOnScratch, type ScratchTryOptions } from './engine/authoring/try/scratch';
export { testdb, type TestdbOptions, type TestdbResult, type TestdbEvent, type Change as TestdbChange } from './engine/testdb/testdb';
export {
  diff,
  planDiff,
  changesAsSql,
  type DiffOptions,
  type DiffResult,
  type PlanInput,
  type Change as DiffChange,
  type ScriptOptions as DiffScriptOptions,
} from './engine/schema/diff';
export { needsBaseline, compareBeforeBaseline, type BaselineCompareOptions } from './engine/schema/check/baseline';

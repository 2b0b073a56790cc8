/** The library API: the engine's functions, their results and their errors. Nothing here prints. */
export * from './errors';
export { connect, withSession, maskPassword, describeTarget, type Target, type Session } from './engine/db';
export { compileScript, type CompiledScript, type Step, type CompileOptions } from './engine/script/compile';
export { executeSteps, type ScriptEvent } from './engine/script/execute';
export { loadScript, type LoadOptions, type LoadResult } from './engine/loader';
export { startCluster, embeddedBinDir, type Cluster, type ClusterOptions } from './engine/embedded';
export { resolveTarget, resolvePaths } from './settings';
export { openRepo, isRepo, GitRepo, GitError, GitRefError, NoMergeBaseError, GitUnavailableError, type GitUnavailable, type ChangedFile, type SchemaDiff, type DiffBase } from './engine/git';
export { makeMigration, checkMigrations, slugify, nextPatchName, localDate, renderTemplate, commentLines, TemplateError, PatchWriteError, type MakeMigrationOptions, type MakeMigrationResult, type CheckOptions, type CheckResult } from './engine/writer';
export { lookupPatch, expandPatch, PatchLookupError, type PatchShown, type ExpandedStatement } from './engine/lookup';
export { scaffold, ScaffoldError, type ScaffoldOptions, type ScaffoldResult } from './engine/scaffold';
export { squashMigrations, planSquash, SquashError, type SquashOptions, type SquashResult, type SquashPlan } from './engine/squasher';

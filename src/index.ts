/** The library API: the engine's functions, their results and their errors. Nothing here prints. */
export * from './errors';
export { connect, withSession, maskPassword, describeTarget, type Target, type Session } from './engine/db';
export { compileScript, type CompiledScript, type Step, type CompileOptions } from './engine/script/compile';
export { executeSteps, type ScriptEvent } from './engine/script/execute';
export { loadScript, type LoadOptions, type LoadResult } from './engine/loader';
export { startCluster, embeddedBinDir, type Cluster, type ClusterOptions } from './engine/embedded';
export { resolveTarget, resolvePaths } from './settings';

/** Schema diff: the statements that turn one schema model into another (`pgpatch diff`, makemigrations' draft). */
export { planDiff, type PlanInput } from './plan';
export { changesAsSql, type ScriptOptions } from './script';
export { Phase, type Change } from './change';
export { diff, type DiffOptions, type DiffResult } from './diff';
export { readSource, restrictModel, type DiffSource, type SourceRead } from './sources';

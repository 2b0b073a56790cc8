/** Schema models: read a database's catalogs (`inspectDatabase`) and compare two of them (`compareModels`). */
export * from './model';
export { inspectDatabase, inspectDependencies, UnsupportedServerError, MIN_SERVER_VERSION } from './inspect';
export { compareModels, type Difference, type DifferenceKind, type CompareLabels } from './compare';

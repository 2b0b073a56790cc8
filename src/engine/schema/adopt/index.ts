/** `adopt`: a live database (built by Django's migrations) as schema files, and its baseline recorded. */
export { adopt, AdoptFilesExistError, DJANGO_MIGRATIONS, type AdoptOptions, type AdoptResult } from './adopt';
export { renderSchemaFiles, type RenderOptions, type RenderResult, type RenderedFile } from './render';

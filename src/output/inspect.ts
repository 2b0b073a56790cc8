/** `inspect`'s result: the model as JSON on stdout (it is always JSON), a count on stderr. */
import type { InspectResult } from '../engine/schema/inspect/inspect';
import { printJson } from './json';
import { say } from './terminal';

export function renderInspect({ model, durationMs }: InspectResult): void {
  printJson(model);
  say(
    `pgpatch: inspected ${Object.keys(model.tables).length} tables, ${Object.keys(model.views).length} views and ` +
      `${Object.keys(model.functions).length} functions in ${durationMs} ms`,
  );
}

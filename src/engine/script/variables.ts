/** psql variables: `\set`, `\unset`, `-v name=value`, read by `:name` in the script. */
export class Variables {
  private readonly values = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(initial)) this.values.set(k, v);
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  set(name: string, value: string): void {
    this.values.set(name, value);
  }

  unset(name: string): void {
    this.values.delete(name);
  }

  toObject(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}

/** psql's rule for variable names given to `\set` and `-v`. */
export function isValidVariableName(name: string): boolean {
  return /^[A-Za-z0-9_\u0080-\uffff]+$/.test(name);
}

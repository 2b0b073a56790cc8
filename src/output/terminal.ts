/**
 * The terminal: data on stdout (so that `--json | jq` and `sqlmigrate > file` work), messages
 * and progress on stderr. Every command writes through here or through a renderer beside it.
 */

let lineOpen = false;

/** A message (stderr). */
export function say(line: string): void {
  closeLine();
  process.stderr.write(line + '\n');
}

/** Starts a progress line that a later `endLine` (or any message) finishes. */
export function startLine(text: string): void {
  closeLine();
  process.stderr.write(text);
  lineOpen = true;
}

export function endLine(text: string): void {
  process.stderr.write(text + '\n');
  lineOpen = false;
}

/**
 * A status line on a terminal, written over the one before (a fleet's "37/100 targets done");
 * the next message starts on a line of its own. Nothing when stderr is not a terminal.
 */
export function statusLine(text: string): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r\x1b[K${text}`);
  lineOpen = true;
}

/** Ends a progress line left open, so that an error starts on a line of its own. */
export function closeLine(): void {
  if (lineOpen) process.stderr.write('\n');
  lineOpen = false;
}

/** Data (stdout), as it is. */
export function print(text: string | Buffer): void {
  process.stdout.write(text);
}

/** Data (stdout), a line each. */
export function printLines(lines: string[]): void {
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
}

/** Output of a program pgpatch runs (a pre/post script), passed on to the same stream. */
export function passOn(stream: 'stdout' | 'stderr', chunk: string): void {
  closeLine();
  (stream === 'stdout' ? process.stdout : process.stderr).write(chunk);
}

/** Says which database a command is about to change, before it changes anything (password masked). */
export function announceTarget(doing: string, display: string): void {
  say(`pgpatch: ${doing} ${display}`);
}

import type {Rendered} from '../lib/views/facts.js'

/** The two oclif Command methods a view is printed through; both are silent under --json. */
export interface Printer {
  log(message?: string): void
  logToStderr(message?: string): void
}

/** oclif's log methods end the line themselves, so a view's final newline is dropped. */
const line = (text: string) => (text.endsWith('\n') ? text.slice(0, -1) : text)

/**
 * Print a view: stdout then stderr (data, then the tally), or with
 * statusFirst the status line first ("✓ Started …", then the details).
 */
export function print(cmd: Printer, out: Partial<Rendered>, opts: {statusFirst?: boolean} = {}): void {
  if (opts.statusFirst && out.stderr) cmd.logToStderr(line(out.stderr))
  if (out.stdout) cmd.log(line(out.stdout))
  if (!opts.statusFirst && out.stderr) cmd.logToStderr(line(out.stderr))
}

/**
 * argv as people type it, made into the form the commands parse: global
 * flags typed before the command moved after it, and `--flag=true|false` for
 * boolean flags. Pure; run before oclif and before the start-up fast path,
 * so both see the same argv. No oclif import here.
 */
import {UsageError} from '../lib/errors.js'

/** Command topics: `dispatch sidequests --json list` is `sidequests list --json`. test/lib/cli/argv.test.ts checks this against the manifest. */
export const TOPICS: ReadonlySet<string> = new Set(['sidequests', 'autocomplete'])

/** How many tokens at `i` are a global flag (`--json`, `--json=…`, `--config F`, `--config=F`); 0 when none. */
function globalAt(argv: readonly string[], i: number): number {
  const a = argv[i]
  if (a === '--json' || a.startsWith('--json=') || a.startsWith('--config=')) return 1
  if (a === '--config' && i + 1 < argv.length && !argv[i + 1].startsWith('-')) return 2
  return 0
}

/**
 * `dispatch --config F status` → `dispatch status --config F`;
 * `dispatch sidequests --json list` → `dispatch sidequests list --json`.
 * Only the global flags move, only from before the command id, and only when
 * a command word follows them; anything else is returned as it was. Pure.
 */
export function hoistGlobalFlags(argv: readonly string[], topics: ReadonlySet<string> = TOPICS): string[] {
  const moved: string[] = []
  let i = 0
  const take = () => {
    let n = 0
    while (i < argv.length && (n = globalAt(argv, i)) > 0) {
      moved.push(...argv.slice(i, i + n))
      i += n
    }
  }
  take()
  if (i >= argv.length || argv[i].startsWith('-')) return [...argv]
  const id = [argv[i++]]
  if (topics.has(id[0])) {
    take()
    if (i < argv.length && !argv[i].startsWith('-')) id.push(argv[i++])
  }
  if (moved.length === 0) return [...argv]
  return [...id, ...moved, ...argv.slice(i)]
}

/**
 * `--NAME=true` is `--NAME`; `--NAME=false` is `--no-NAME` where the flag
 * takes that, else the flag left out (booleans are off unless given) and
 * any `--NAME` before it taken back: the last one typed wins. Any
 * other value is a usage error naming the flag. Stops at `--`: what follows
 * is claude's. `booleans` maps each boolean flag's name to whether it has a
 * `--no-` form. Pure.
 */
export function normalizeBooleanValues(argv: readonly string[], booleans: ReadonlyMap<string, boolean>, help: string): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') {
      out.push(...argv.slice(i))
      break
    }
    const m = /^--([^=]+)=(.*)$/s.exec(a)
    const allowNo = m ? booleans.get(m[1]) : undefined
    if (!m || allowNo === undefined) {
      out.push(a)
      continue
    }
    const [, name, value] = m
    if (value === 'true') out.push(`--${name}`)
    else if (value === 'false') {
      if (allowNo) out.push(`--no-${name}`)
      // No --no- form: the flag given earlier is taken back, so the last one typed wins, as with --no-.
      else for (let j = out.length - 1; j >= 0; j--) if (out[j] === `--${name}`) out.splice(j, 1)
    } else throw new UsageError(`--${name} takes true or false, got ${JSON.stringify(value)}.`, `Write --${name}, --${name}=true or --${name}=false. ${help}`)
  }
  return out
}

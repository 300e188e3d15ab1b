/**
 * The start-up fast path's parser for headless, cascade and interactive: the
 * same flag table oclif's flags are built from (src/cli/flag-table.ts), the
 * same `--flag=true|false` and `--` handling (src/cli/argv.ts,
 * src/cli/dispatching.ts). It understands only argv oclif would accept, and
 * parses it as oclif does; anything else (help, an unknown or repeated flag,
 * a missing or invalid value, a missing ref) is undefined, and oclif then
 * runs the command and explains. No oclif import here.
 */
import {normalizeBooleanValues} from './argv.js'
import {splitPassThrough} from './dispatching.js'
import {DISPATCH_COMMANDS, GLOBAL_FLAGS, type DispatchCommandId, type FlagSpec, type FlagTable} from './flag-table.js'

export interface FastDispatchArgs {
  /** The argv dispatch itself parsed (before `--`, booleans normalized): what the audit line records, as under oclif. */
  own: string[]
  refs: string[]
  flags: Record<string, unknown>
  claude: string[]
}

/** An option flag's value as oclif would take it; undefined where oclif would refuse or where it could read a flag as the value. */
function optionValue(spec: FlagSpec, value: string | undefined): string | number | undefined {
  if (value === undefined || value === '' || value.startsWith('-')) return undefined
  if (spec.options && !spec.options.includes(value)) return undefined
  if (spec.type !== 'integer') return value
  if (!/^\d+$/.test(value)) return undefined
  const n = Number.parseInt(value, 10)
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return undefined
  return n
}

/** Parse `argv` (after the command id) for a dispatching command, or undefined for oclif to handle. Pure. */
export function parseDispatchArgv(id: DispatchCommandId, argv: readonly string[]): FastDispatchArgs | undefined {
  const {flags, manyRefs} = DISPATCH_COMMANDS[id]
  return parseWithTable(flags, manyRefs, argv)
}

/** parseDispatchArgv for a command with these flags (besides the global ones) and one ref, or several. Pure. */
export function parseWithTable(own: FlagTable, manyRefs: boolean, argv: readonly string[]): FastDispatchArgs | undefined {
  const table: Readonly<Record<string, FlagSpec>> = {...own, ...GLOBAL_FLAGS}
  const booleans = new Map(Object.entries(table).flatMap(([name, spec]) => (spec.type === 'boolean' ? [[name, Boolean(spec.allowNo)] as const] : [])))
  let normalized: string[]
  try {
    normalized = normalizeBooleanValues(argv, booleans, '')
  } catch {
    return undefined
  }
  const split = splitPassThrough(normalized)
  const flags: Record<string, unknown> = {}
  const refs: string[] = []
  const args = split.own
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (!a.startsWith('-')) {
      refs.push(a)
      continue
    }
    if (!a.startsWith('--') || a === '--') return undefined
    const eq = a.indexOf('=')
    const name = eq === -1 ? a.slice(2) : a.slice(2, eq)
    const spec = Object.hasOwn(table, name) ? table[name] : undefined
    if (!spec) {
      const negated = name.startsWith('no-') && eq === -1 ? table[name.slice(3)] : undefined
      if (!negated?.allowNo) return undefined
      flags[name.slice(3)] = false
      continue
    }
    if (spec.type === 'boolean') {
      if (eq !== -1) return undefined
      flags[name] = true
      continue
    }
    const value = optionValue(spec, eq === -1 ? args[++i] : a.slice(eq + 1))
    if (value === undefined) return undefined
    if (spec.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), value]
    else if (name in flags) return undefined // oclif: "can only be specified once"
    else flags[name] = value
  }
  // oclif's "cannot also be provided when using" (a flag given as --no-NAME counts as given).
  if (Object.keys(flags).some((name) => table[name].exclusive?.some((other) => other in flags))) return undefined
  for (const [name, spec] of Object.entries(table)) if (spec.default !== undefined && !(name in flags)) flags[name] = spec.default
  // NOTE: with no ref oclif may read one from a piped stdin: that, and a missing or extra ref, stay oclif's.
  if (manyRefs ? refs.length === 0 : refs.length !== 1) return undefined
  // oclif orders the words by where each first occurs in argv.
  const ordered = [...refs].sort((x, y) => args.indexOf(x) - args.indexOf(y))
  return {own: args, refs: ordered, flags, claude: split.claude}
}

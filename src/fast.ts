/**
 * Start-up fast path for the commands scripts and agents call in loops:
 * `--version`, `sidequests conflicts` and `sidequests list`, and for
 * `autocomplete refs`, which shell completion runs on every TAB. Loading oclif
 * alone costs about as much as starting node; these commands need none of it.
 * They share their logic with the oclif commands (src/lib/sidequests-view.ts);
 * anything the fast path does not fully understand (help, unknown flags,
 * missing arguments) returns false and goes through oclif as usual. Their
 * dependencies come from the same composition root as the oclif commands'
 * (src/lib/context.ts).
 */
import {readFileSync} from 'node:fs'

import {refsToComplete} from './lib/completion/refs.js'
import {createDeps, processFacts} from './lib/context.js'
import {redactUrlCredentials} from './lib/errors.js'
import {processSink, reportError} from './lib/report.js'
import {findSidequestConflicts, listSidequests, renderSidequests} from './lib/sidequests-view.js'
import {renderConflicts} from './lib/views/conflicts.js'
import {inertText} from './lib/terminal.js'

interface Parsed {
  json: boolean
  all: boolean
  config?: string
  positional: string[]
}

/** Parse the few flags the fast commands take; undefined for anything else. Pure. */
export function parseFastArgs(args: string[], allowed: ReadonlyArray<'all'>): Parsed | undefined {
  const out: Parsed = {json: false, all: false, positional: []}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--') {
      out.positional.push(...args.slice(i + 1))
      break
    }
    if (a === '--json') out.json = true
    else if (a === '--all' && allowed.includes('all')) out.all = true
    else if (a === '--config' && i + 1 < args.length) out.config = args[++i]
    else if (a.startsWith('--config=')) out.config = a.slice('--config='.length)
    else if (a.startsWith('-')) return undefined
    else out.positional.push(a)
  }
  return out
}

/** `dispatch --version --json`: the same facts as the text line, as data. */
export interface VersionInfo {
  version: string
  node: string
  platform: string
}

function packageInfo(): {name: string; version: string} {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {name: string; version: string}
}

function versionInfo(): VersionInfo {
  return {version: packageInfo().version, node: process.version, platform: `${process.platform}-${process.arch}`}
}

function version(): string {
  const pkg = packageInfo()
  return `${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`
}

const warn = (message: string) => process.stderr.write(inertText(redactUrlCredentials(message)) + '\n')

function fail(error: unknown, json: boolean, exitCode?: number): number {
  return reportError(error, processSink(json, process, Boolean(processFacts().env.DEBUG)), {exitCode})
}

/** Run a fast command; resolves to its exit code, or undefined when oclif should handle it. */
export async function runFast(argv: string[]): Promise<number | undefined> {
  const versionFlags = new Set(['--version', '-v'])
  if (argv.length > 0 && argv.length <= 2 && argv.some((a) => versionFlags.has(a)) && argv.every((a) => versionFlags.has(a) || a === '--json')) {
    process.stdout.write(argv.includes('--json') ? JSON.stringify(versionInfo(), null, 2) + '\n' : version() + '\n')
    return 0
  }
  if (argv[0] === 'autocomplete' && argv[1] === 'refs') {
    const parsed = parseFastArgs(argv.slice(2), [])
    if (!parsed || parsed.positional.length > 0) return undefined
    const refs = await refsToComplete(() => createDeps({configPath: parsed.config, readOnly: true, warn: () => {}, noScheduler: true}))
    process.stdout.write(parsed.json ? JSON.stringify(refs, null, 2) + '\n' : refs.map((r) => r + '\n').join(''))
    return 0
  }
  if (argv[0] !== 'sidequests' || (argv[1] !== 'conflicts' && argv[1] !== 'list')) return undefined
  const parsed = parseFastArgs(argv.slice(2), argv[1] === 'list' ? ['all'] : [])
  if (!parsed) return undefined
  if (argv[1] === 'conflicts') {
    if (parsed.positional.length === 0) return undefined
    try {
      const deps = await createDeps({configPath: parsed.config, readOnly: true, warn})
      const {conflicts, activeCount} = await findSidequestConflicts(deps.registry(), parsed.positional, deps.cwd, warn)
      if (parsed.json) process.stdout.write(JSON.stringify(conflicts, null, 2) + '\n')
      else {
        const out = renderConflicts(conflicts, activeCount)
        process.stdout.write(out.stdout)
        process.stderr.write(out.stderr)
      }
      return conflicts.length > 0 ? 1 : 0
    } catch (error) {
      return fail(error, parsed.json, 2)
    }
  }
  if (parsed.positional.length > 0) return undefined
  try {
    const deps = await createDeps({configPath: parsed.config, readOnly: true, warn})
    const records = await listSidequests(deps.registry(), parsed.all)
    if (parsed.json) process.stdout.write(JSON.stringify(records, null, 2) + '\n')
    else {
      const out = renderSidequests(records, parsed.all, deps.streams.stdoutTTY, deps.streams.stdout.columns, deps.now())
      process.stdout.write(out.stdout)
      process.stderr.write(out.stderr)
    }
    return 0
  } catch (error) {
    return fail(error, parsed.json)
  }
}

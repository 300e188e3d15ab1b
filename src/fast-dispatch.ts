/**
 * Start-up fast path for headless, cascade and interactive: the argv oclif
 * would accept is parsed from the same flag table (src/cli/fast-parse.ts) and
 * runs the same command code without loading oclif (src/cli/fast-host.ts);
 * anything else resolves to undefined and goes through oclif.
 */
import {existsSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {processFacts} from './lib/context.js'
import {parseDispatchArgv} from './cli/fast-parse.js'
import {DISPATCH_COMMANDS, type DispatchCommandId} from './cli/flag-table.js'

/** Run a dispatching command without oclif; its exit code, or undefined when oclif should run it. */
export async function runFastDispatch(argv: readonly string[]): Promise<number | undefined> {
  const id = argv[0]
  if (!Object.hasOwn(DISPATCH_COMMANDS, id)) return undefined
  // DEBUG makes oclif print its own trace; DISPATCH_CONTENT_TYPE=json turns on oclif's JSON output: oclif's, both.
  const {env} = processFacts()
  if (env.DEBUG || env.DISPATCH_CONTENT_TYPE) return undefined
  // A theme.json in oclif's config dir colours oclif's JSON output: oclif's, too.
  const configDir = env.DISPATCH_CONFIG_DIR ?? path.join(env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config'), 'dispatch')
  if (existsSync(path.join(configDir, 'theme.json'))) return undefined
  const parsed = parseDispatchArgv(id as DispatchCommandId, argv.slice(1))
  if (!parsed) return undefined
  const {runFastDispatch: run} = await import('./cli/fast-host.js')
  return run(id as DispatchCommandId, parsed)
}

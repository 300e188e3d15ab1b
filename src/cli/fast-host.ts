/**
 * headless, cascade and interactive without oclif: the start-up fast path
 * (src/fast.ts) runs the very same command code (src/cli/fanout.ts,
 * src/cli/interactive.ts) through this host, which does what BaseCommand and
 * oclif's Command do around a run, in the same order: report an error
 * (src/lib/report.ts), write the audit line, then print a returned result as
 * JSON under --json. test/commands/fast-path.test.ts holds the two paths to
 * the same bytes. No oclif import here.
 */
import type {Deps, DispatchContext} from '../lib/context.js'
import {EXIT, InterruptedError} from '../lib/errors.js'
import {asDispatchError, reportError} from '../lib/report.js'
import type {DispatchCommandId} from './flag-table.js'
import type {FastDispatchArgs} from './fast-parse.js'
import {RunDeps, auditRun, warnLine, type CommandHost} from './host.js'

/** JSON as oclif's logJson prints it when no theme is configured. */
const printJson = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + '\n')

class FastHost implements CommandHost {
  readonly config = {bin: 'dispatch'}
  auditRef?: string
  auditPid?: number
  auditForgeFallback?: boolean
  audited = false
  exitNow?: number
  warnLine = warnLine
  private readonly runDeps = new RunDeps(warnLine)

  constructor(private readonly json: boolean) {}

  deps(configPath: string | undefined, opts: {readOnly?: boolean} = {}): Promise<Deps> {
    return this.runDeps.deps(configPath, opts)
  }

  context(configPath: string | undefined): Promise<DispatchContext> {
    return this.runDeps.context(configPath)
  }

  jsonEnabled(): boolean {
    return this.json
  }

  printJson(value: unknown): void {
    printJson(value)
  }

  log(message = ''): void {
    if (!this.json) process.stdout.write(message + '\n')
  }

  logToStderr(message = ''): void {
    if (!this.json) process.stderr.write(message + '\n')
  }

  /** oclif's Command._run with BaseCommand's catch and finally; resolves to the exit code. */
  async execute(id: string, args: string[], run: () => Promise<unknown>): Promise<number> {
    // As oclif does: a reader that goes away (`| head`) is no error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
    })
    let result: unknown
    let failed: unknown
    try {
      result = await run()
    } catch (error) {
      failed = error
      const classified = asDispatchError(error)
      process.exitCode = reportError(classified, {json: this.json, printJson, stderr: (text: string) => process.stderr.write(text)})
      await auditRun(this.runDeps.cached, this, {command: id, args, exitCode: classified.exitCode, outcome: classified.code})
    }
    const code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
    if (!failed) await auditRun(this.runDeps.cached, this, {command: id, args, exitCode: code, outcome: code === EXIT.ok ? 'ok' : 'exited'})
    if (failed instanceof InterruptedError) process.exit(failed.exitCode)
    if (this.exitNow !== undefined) process.exit(this.exitNow)
    if (result && this.json) printJson(result)
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
  }
}

/** Run a dispatching command parsed by src/cli/fast-parse.ts; resolves to its exit code. */
export function runFastDispatch(id: DispatchCommandId, parsed: FastDispatchArgs): Promise<number> {
  const host = new FastHost(Boolean(parsed.flags.json))
  // NOTE: imported per command: headless must not load the interactive surfaces, nor interactive the fan-out.
  return host.execute(id, parsed.own, async () => {
    if (id === 'interactive') return (await import('./interactive.js')).runInteractiveCommand(host, parsed.refs[0], parsed.flags, parsed.claude)
    return (await import('./fanout.js')).runDispatchCommand(host, id, parsed.refs, parsed.flags, parsed.claude)
  })
}

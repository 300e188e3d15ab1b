import {Command, Flags, Errors} from '@oclif/core'

import {writeAudit, secretValues} from '../lib/audit.js'
import {loadConfig, type Config} from '../lib/config.js'
import {createContext, type DispatchContext} from '../lib/context.js'
import {DispatchError, EXIT, FailureError, InterruptedError, UsageError, isDispatchError, toJsonError} from '../lib/errors.js'
import {inertText} from '../lib/terminal.js'

/**
 * What every dispatch command shares: `--config`, `--json`, one place that
 * turns errors into exit codes and messages, and stderr for warnings.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true
  /** The next step for an unknown flag or a stray argument, when the command has a better one than --help. */
  static strayHint?: string
  static override baseFlags = {
    config: Flags.string({description: 'Config file to use instead of the search (also DISPATCH_CONFIG).', helpValue: '<file>'}),
  }

  /** Set by dispatching commands so the audit line names the issue. */
  auditRef?: string
  auditPid?: number
  auditForgeFallback?: boolean
  /** Dispatching commands write one audit line per run (SPEC §5). */
  audited = false
  private contextCache?: DispatchContext

  /** Warnings and progress go to stderr, made inert: they can carry forge text. */
  warnLine = (message: string): void => {
    process.stderr.write(inertText(message) + '\n')
  }

  async context(configPath: string | undefined): Promise<DispatchContext> {
    this.contextCache ??= await createContext({configPath, warn: this.warnLine})
    return this.contextCache
  }

  /**
   * Just the config, for commands that never talk to a forge. `readOnly`
   * commands run on the defaults when no config exists at all.
   */
  async loadConfig(configPath: string | undefined, opts: {readOnly?: boolean} = {}): Promise<Config> {
    if (this.contextCache) return this.contextCache.config
    return loadConfig({configPath, cwd: process.cwd(), env: process.env, warn: this.warnLine, readOnly: opts.readOnly})
  }

  /** Map any error to SPEC §9 exit codes, print it (JSON or human), never a stack for an expected failure. */
  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    if (err instanceof Errors.ExitError) throw err
    let error: DispatchError
    if (isDispatchError(err)) error = err
    else if (err.oclif?.exit === 2 || err.name === 'CLIParseError' || /Nonexistent flag|Unexpected argument|Missing required|Expected .* to be one of|Parsing --|Expected an integer|Missing \d+ required arg/i.test(err.message)) {
      const stray = /Nonexistent flag|Unexpected argument/i.test(err.message)
      const hint = (this.constructor as typeof BaseCommand).strayHint
      error = new UsageError(parseErrorMessage(err.message), stray && hint ? hint : `See: ${this.config.bin} ${this.id ?? ''} --help`.trimEnd())
    } else {
      error = new FailureError(`Unexpected error: ${err.message}`, 'Run again with DEBUG=* for details, and report it if it persists.')
      if (process.env.DEBUG) process.stderr.write(String(err.stack) + '\n')
    }
    process.exitCode = error.exitCode
    await this.audit(error.exitCode, error.code)
    if (this.jsonEnabled()) {
      this.logJson(toJsonError(error))
    } else {
      process.stderr.write(`Error: ${inertText(error.message)}\n${error.suggestion ? inertText(error.suggestion) + '\n' : ''}`)
      const extra = (error as {tail?: string[]}).tail
      if (extra && extra.length > 0) process.stderr.write(`Last lines of the worker's log:\n${extra.map((l) => `  ${l}`).join('\n')}\n`)
    }
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    if (!err) await this.audit(EXIT.ok, 'ok')
    await super.finally(err)
    // NOTE: an interrupted dispatch may still have work in flight (a forge request, a git
    // child, the health wait); it has said what it must, so go now. Exiting also runs
    // proper-lockfile's exit hook, which removes a registry lock still held.
    if (err instanceof InterruptedError) process.exit(err.exitCode)
  }

  private async audit(exitCode: number, outcome: string): Promise<void> {
    if (!this.audited) return
    this.audited = false
    try {
      const ctx = this.contextCache
      if (!ctx) return
      await writeAudit(
        ctx.config.stateDir,
        {command: this.id ?? '', args: this.argv, ref: this.auditRef, cwd: process.cwd(), outcome, exit_code: exitCode, pid: this.auditPid, ...(this.auditForgeFallback ? {forge_fallback: true} : {})},
        secretValues(process.env, ctx.config.forgejo ? [ctx.config.forgejo.tokenEnv] : []),
      )
    } catch {
      // The audit trail is best-effort: a full disk must not turn a success into a failure.
    }
  }
}

/**
 * oclif's parse errors on one line, without its advice: "Missing 1 required
 * arg:\nref  Issue reference…\nSee more help with --help" names the argument
 * only on its second line, and its note about `--` does not hold here (after
 * `--` everything goes to claude).
 */
export function parseErrorMessage(message: string): string {
  const body = message.split(/\n\s*\n|\nSee more help/)[0]
  return body.replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ').replace(/ {2,}/g, ' — ')
}

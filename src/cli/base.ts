import {Command, Flags, Errors} from '@oclif/core'

import {writeAudit, secretValues} from '../lib/audit.js'
import type {Config} from '../lib/config/index.js'
import {createDeps, dispatchContext, processFacts, type Deps, type DispatchContext} from '../lib/context.js'
import {DispatchError, EXIT, InterruptedError, UsageError, isDispatchError, redactUrlCredentials} from '../lib/errors.js'
import {asDispatchError, reportError, type ErrorSink} from '../lib/report.js'
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
  /** Exit with this code once the audit line is written (an interrupted fan-out, src/cli/fanout.ts). */
  exitNow?: number
  private depsCache?: Deps
  private depsReadOnly = false
  private contextCache?: DispatchContext

  /** Warnings and progress go to stderr, made inert: they can carry forge text. */
  warnLine = (message: string): void => {
    process.stderr.write(inertText(redactUrlCredentials(message)) + '\n')
  }

  /**
   * The run's dependencies from the composition root (src/lib/context.ts),
   * made once. `readOnly` commands run on the defaults when no config exists
   * at all; a later call that needs a
   * full config checks it again.
   */
  async deps(configPath: string | undefined, opts: {readOnly?: boolean} = {}): Promise<Deps> {
    // NOTE: a read-only look does not vouch for a config a dispatch needs: wire again, checked.
    if (!this.depsCache || (this.depsReadOnly && !opts.readOnly)) {
      this.depsCache = await createDeps({configPath, readOnly: opts.readOnly, warn: this.warnLine})
      this.depsReadOnly = Boolean(opts.readOnly)
    }
    return this.depsCache
  }

  /** Deps for a dispatching command: a config with allowedOwners, and the forges. */
  async context(configPath: string | undefined): Promise<DispatchContext> {
    this.contextCache ??= dispatchContext(await this.deps(configPath))
    return this.contextCache
  }

  /** Print a JSON document now, as oclif prints a returned result (an interrupted fan-out cannot return). */
  printJson(value: unknown): void {
    this.logJson(value)
  }

  /** Just the config, for commands that never talk to a forge. */
  async loadConfig(configPath: string | undefined, opts: {readOnly?: boolean} = {}): Promise<Config> {
    return (await this.deps(configPath, opts)).config
  }

  /** Map any error to SPEC §9 exit codes and print it (JSON or human) through the one reporter. */
  protected override async catch(err: Error): Promise<void> {
    if (err instanceof Errors.ExitError) throw err
    const error = this.classify(err)
    process.exitCode = reportError(error, this.errorSink(err))
    await this.audit(error.exitCode, error.code)
  }

  /** oclif's parse errors as usage errors, by their class; ours as they are. */
  protected classify(err: Error): DispatchError {
    return classifyCommandError(err, {help: `See: ${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')} --help`.trimEnd(), strayHint: (this.constructor as typeof BaseCommand).strayHint})
  }

  protected errorSink(err: Error): ErrorSink {
    return {json: this.jsonEnabled(), printJson: (value) => this.logJson(value), stderr: (text) => process.stderr.write(text), debug: Boolean((this.depsCache?.env ?? processFacts().env).DEBUG) && !isDispatchError(err)}
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    // A command that ends with another program's code (foreground sessions, attach) sets process.exitCode.
    const code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
    if (!err) await this.audit(code, code === EXIT.ok ? 'ok' : 'exited')
    await super.finally(err)
    // NOTE: an interrupted dispatch may still have work in flight (a forge request, a git
    // child, the health wait); it has said what it must, so go now. Exiting also runs
    // proper-lockfile's exit hook, which removes a registry lock still held.
    if (err instanceof InterruptedError) process.exit(err.exitCode)
    if (this.exitNow !== undefined) process.exit(this.exitNow)
  }

  private async audit(exitCode: number, outcome: string): Promise<void> {
    if (!this.audited) return
    this.audited = false
    try {
      const ctx = this.depsCache
      if (!ctx) return
      await writeAudit(
        ctx.config.stateDir,
        {command: this.id ?? '', args: this.argv, ref: this.auditRef, cwd: ctx.cwd, outcome, exit_code: exitCode, pid: this.auditPid, ...(this.auditForgeFallback ? {forge_fallback: true} : {})},
        secretValues(ctx.env, ctx.config.forgejo ? [ctx.config.forgejo.tokenEnv] : []),
      )
    } catch {
      // The audit trail is best-effort: a full disk must not turn a success into a failure.
    }
  }
}

/** oclif's parse errors about words that do not belong (an unknown flag, a stray argument). */
const STRAY = new Set(['NonExistentFlagsError', 'UnexpectedArgsError'])

/** The class names of an error and its ancestors: oclif does not export its parse error classes, only their names are stable. */
function classNames(err: object): string[] {
  const names: string[] = []
  for (let proto = Object.getPrototypeOf(err); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) names.push(proto.constructor.name)
  return names
}

/**
 * Any error a command throws, as one of SPEC §9's: ours as they are; oclif's
 * parse errors (CLIParseError and its subclasses: RequiredArgsError,
 * NonExistentFlagsError, UnexpectedArgsError, FlagInvalidOptionError...) and
 * its flag-value errors (a CLIError with oclif's usage exit code, 2, as
 * `Flags.integer` throws) as usage errors; anything else unexpected. By type
 * and exit code, never by the wording of a message. Pure.
 */
export function classifyCommandError(err: Error & {oclif?: {exit?: number}}, hints: {help: string; strayHint?: string}): DispatchError {
  if (isDispatchError(err)) return err
  const names = classNames(err)
  if (names.includes('CLIParseError') || (err instanceof Errors.CLIError && err.oclif?.exit === EXIT.usage)) {
    const stray = names.some((n) => STRAY.has(n))
    return new UsageError(parseErrorMessage(err.message), stray && hints.strayHint ? hints.strayHint : hints.help)
  }
  return asDispatchError(err)
}

/**
 * oclif's parse errors on one line, without its advice: "Missing 1 required
 * arg:\nref  Issue reference…\nSee more help with --help" names the argument
 * only on its second line, and its note about `--` does not hold here (after
 * `--` everything goes to claude).
 */
export function parseErrorMessage(message: string): string {
  const body = message.split(/\n\s*\n|\nSee more help/)[0]
  // oclif wraps a long description onto lines indented with spaces: those continue the sentence (a tab starts its own).
  return body.replace(/[ \t]*\n {2,}(?=\S)/g, ' ').replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ').replace(/(\S) {2,}/g, '$1 — ')
}

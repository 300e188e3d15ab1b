import {Command, Errors} from '@oclif/core'

import type {Config} from '../lib/config/index.js'
import {processFacts, type Deps, type DispatchContext} from '../lib/context.js'
import {DispatchError, EXIT, InterruptedError, UsageError, isDispatchError} from '../lib/errors.js'
import {asDispatchError, reportError, type ErrorSink} from '../lib/report.js'
import {normalizeBooleanValues} from './argv.js'
import {baseFlags} from './flags.js'
import {RunDeps, auditRun, warnLine, type CommandHost} from './host.js'

/**
 * What every dispatch command shares: `--config`, `--json`, one place that
 * turns errors into exit codes and messages, and stderr for warnings.
 */
export abstract class BaseCommand extends Command implements CommandHost {
  static override enableJsonFlag = true
  /** The next step for an unknown flag or a stray argument, when the command has a better one than --help. */
  static strayHint?: string
  static override baseFlags = baseFlags

  auditRef?: string
  auditPid?: number
  auditForgeFallback?: boolean
  audited = false
  exitNow?: number
  private readonly runDeps = new RunDeps(warnLine)

  warnLine = warnLine

  /** `--flag=true|false` for every boolean flag of the command (src/cli/argv.ts), before oclif reads argv. */
  override async init(): Promise<void> {
    const ctor = this.constructor as typeof BaseCommand
    const booleans = new Map<string, boolean>([['json', false]])
    for (const [name, flag] of Object.entries({...ctor.flags, ...ctor.baseFlags} as Record<string, {type: string; allowNo?: boolean}>)) if (flag.type === 'boolean') booleans.set(name, Boolean(flag.allowNo))
    this.argv = normalizeBooleanValues(this.argv, booleans, this.helpHint())
    await super.init()
  }

  /** The run's dependencies from the composition root, made once (src/cli/host.ts). */
  async deps(configPath: string | undefined, opts: {readOnly?: boolean} = {}): Promise<Deps> {
    return this.runDeps.deps(configPath, opts)
  }

  /** Deps for a dispatching command: a config with allowedOwners, and the forges. */
  async context(configPath: string | undefined): Promise<DispatchContext> {
    return this.runDeps.context(configPath)
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
    return classifyCommandError(err, {help: this.helpHint(), strayHint: (this.constructor as typeof BaseCommand).strayHint})
  }

  private helpHint(): string {
    return `See: ${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')} --help`.trimEnd()
  }

  protected errorSink(err: Error): ErrorSink {
    return {json: this.jsonEnabled(), printJson: (value) => this.logJson(value), stderr: (text) => process.stderr.write(text), debug: Boolean((this.runDeps.cached?.env ?? processFacts().env).DEBUG) && !isDispatchError(err)}
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
    await auditRun(this.runDeps.cached, this, {command: this.id ?? '', args: this.argv, exitCode, outcome})
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

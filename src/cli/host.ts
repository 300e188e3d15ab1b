/**
 * What a command's run needs from the thing running it, whether that is an
 * oclif command (src/cli/base.ts) or the start-up fast path
 * (src/cli/fast-host.ts): the run's dependencies, its audit line, its output
 * and warnings. No oclif import here.
 */
import {writeAudit, secretValues} from '../lib/audit.js'
import {createDeps, dispatchContext, type Deps, type DispatchContext} from '../lib/context.js'
import {redactUrlCredentials} from '../lib/errors.js'
import {inertText} from '../lib/terminal.js'
import type {Printer} from './print.js'

export interface CommandHost extends Printer {
  readonly config: {bin: string}
  /** Set by dispatching commands so the audit line names the issue. */
  auditRef?: string
  auditPid?: number
  auditForgeFallback?: boolean
  /** Dispatching commands write one audit line per run (SPEC §5). */
  audited: boolean
  /** Exit with this code once the audit line is written (an interrupted fan-out, src/cli/fanout.ts). */
  exitNow?: number
  warnLine(message: string): void
  deps(configPath: string | undefined, opts?: {readOnly?: boolean}): Promise<Deps>
  context(configPath: string | undefined): Promise<DispatchContext>
  jsonEnabled(): boolean
  /** Print a JSON document now, as a returned result is printed (an interrupted fan-out cannot return). */
  printJson(value: unknown): void
}

/** Warnings and progress go to stderr, made inert: they can carry forge text. */
export function warnLine(message: string): void {
  process.stderr.write(inertText(redactUrlCredentials(message)) + '\n')
}

/**
 * The run's dependencies from the composition root (src/lib/context.ts),
 * made once. `readOnly` commands run on the defaults when no config exists
 * at all; a later call that needs a full config checks it again.
 */
export class RunDeps {
  cached?: Deps
  private readOnly = false
  private contextCache?: DispatchContext

  constructor(private readonly warn: (message: string) => void) {}

  async deps(configPath: string | undefined, opts: {readOnly?: boolean} = {}): Promise<Deps> {
    // NOTE: a read-only look does not vouch for a config a dispatch needs: wire again, checked.
    if (!this.cached || (this.readOnly && !opts.readOnly)) {
      this.cached = await createDeps({configPath, readOnly: opts.readOnly, warn: this.warn})
      this.readOnly = Boolean(opts.readOnly)
    }
    return this.cached
  }

  /** Deps for a dispatching command: a config with allowedOwners, and the forges. */
  async context(configPath: string | undefined): Promise<DispatchContext> {
    this.contextCache ??= dispatchContext(await this.deps(configPath))
    return this.contextCache
  }
}

/** The one audit line of a dispatching run (SPEC §5); best-effort. */
export async function auditRun(deps: Deps | undefined, host: CommandHost, entry: {command: string; args: string[]; exitCode: number; outcome: string}): Promise<void> {
  if (!host.audited) return
  host.audited = false
  try {
    if (!deps) return
    await writeAudit(
      deps.config.stateDir,
      {command: entry.command, args: entry.args, ref: host.auditRef, cwd: deps.cwd, outcome: entry.outcome, exit_code: entry.exitCode, pid: host.auditPid, ...(host.auditForgeFallback ? {forge_fallback: true} : {})},
      secretValues(deps.env, deps.config.forgejo ? [deps.config.forgejo.tokenEnv] : []),
    )
  } catch {
    // The audit trail is best-effort: a full disk must not turn a success into a failure.
  }
}

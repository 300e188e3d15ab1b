import {SURFACES} from '../lib/config/index.js'
import {dispatchInteractive, dryRun} from '../lib/dispatch/index.js'
import {chooseSurface, fallbackFailure, type SurfaceResult} from '../lib/interactive/surfaces.js'
import type {SidequestRecord} from '../lib/registry/index.js'
import {renderDryRun, renderOpened} from '../lib/views/dispatch.js'
import {dispatchOptions, dryRunResult, warnOverrides, type DryRunResult} from './dispatching.js'
import type {CommandHost} from './host.js'
import {print} from './print.js'
import {terminalProgress} from './progress.js'

export type InteractiveOutput = (DryRunResult & {surface: string}) | {surface: SurfaceResult; record: SidequestRecord | null; worktree_slot: number}

/** `dispatch interactive`, run by oclif (src/commands/interactive.ts) or the start-up fast path alike. */
export async function runInteractiveCommand(cmd: CommandHost, ref: string, flags: Record<string, unknown>, claudeArgs: readonly string[]): Promise<InteractiveOutput> {
  const opts = dispatchOptions('interactive', ref, flags, claudeArgs)
  if (flags['max-budget-usd'] !== undefined) cmd.warnLine('warning: --max-budget-usd does not apply to an interactive session: claude enforces a budget only in print mode (headless and cascade workers).')
  const configPath = flags.config as string | undefined
  const deps = await cmd.deps(configPath)
  const ctx = await cmd.context(configPath)
  cmd.audited = !opts.dryRun
  cmd.auditRef = ref.trim()
  const requested = (flags.surface as (typeof SURFACES)[number] | undefined) ?? ctx.config.interactive.surface
  const surface = chooseSurface(requested, deps.env, deps.streams.stdinTTY, deps.streams.stdoutTTY)
  const progress = terminalProgress(deps.streams.stderrTTY, cmd.jsonEnabled())
  warnOverrides(cmd, ctx, opts)
  if (opts.dryRun) {
    const plan = await dryRun(ctx, opts, progress)
    cmd.auditRef = plan.issue.ref
    cmd.auditForgeFallback = plan.issue.forgeFallback
    const result = {...dryRunResult(plan), surface}
    print(cmd, renderDryRun(result, surface))
    return result
  }
  const {plan, record, surface: outcome} = await dispatchInteractive(ctx, opts, surface, progress)
  cmd.auditRef = plan.issue.ref
  cmd.auditForgeFallback = plan.issue.forgeFallback
  cmd.auditPid = outcome.pid
  const failed = fallbackFailure(requested, outcome, !cmd.jsonEnabled())
  if (failed) {
    print(cmd, {stdout: outcome.command + '\n'})
    throw failed
  }
  print(cmd, renderOpened(outcome, {ref: plan.issue.ref, cwd: plan.cwd}), {statusFirst: true})
  if (outcome.surface === 'foreground' && outcome.exit_code !== undefined) process.exitCode = outcome.exit_code
  return {surface: outcome, record: record ?? null, worktree_slot: plan.worktree.slot}
}

/**
 * Making a new worktree ready before its worker starts (SPEC §10):
 * `.worktreeinclude` copies, the setup command, and the worker's index and
 * port. Runs outside the registry lock (a setup may take minutes); the
 * dispatch is noted as starting meanwhile, so others count it as active.
 */
import type {DispatchContext} from '../context.js'
import {FailureError} from '../errors.js'
import type {DispatchPlan} from '../dispatch/types.js'
import {workerEnv} from '../dispatch/worker-env.js'
import type {StartGuard} from '../interrupt.js'
import {tailOf} from '../worker/log.js'
import {copyIncluded, listIncluded, type IncludeResult} from './include.js'
import {runSetup, setupEnv} from './setup.js'
import type {StartingNote} from './starting.js'

export {bootstrapSteps, setupCommandFor} from './setup.js'
export {slotFor, slotSentence, type WorkerSlot} from './slots.js'
export {markStarting, startingNotes, startingRecords, stopOrphanSetup, type StartingNote, type StartingRecord} from './starting.js'
export {INCLUDE_FILE, copyIncluded, listIncluded} from './include.js'

/** A setup that failed or timed out: exit 1, with the log's last lines; the worktree stays for inspection. */
export class SetupFailedError extends FailureError {
  constructor(
    message: string,
    suggestion: string,
    override readonly tail: string[],
  ) {
    super(message, suggestion)
  }
}

/** Does the plan have anything to do before its worker starts? Pure. */
export function needsBootstrap(plan: Pick<DispatchPlan, 'bootstrap'>): boolean {
  return plan.bootstrap.include || plan.bootstrap.setup !== undefined
}

/** The credentials a setup never sees (it is not the worker and pushes nothing). */
export function tokenNames(config: DispatchContext['config']): string[] {
  return ['GH_TOKEN', 'GITHUB_TOKEN', config.forgejo?.tokenEnv ?? 'FORGEJO_TOKEN', 'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN']
}

/** What --dry-run shows: the files a new worktree would get. */
export async function plannedIncludes(plan: DispatchPlan): Promise<IncludeResult> {
  if (!plan.bootstrap.include) return {copied: [], skipped: []}
  return copyIncluded(plan.checkout.dir, plan.cwd, await listIncluded(plan.checkout.dir), {dryRun: true})
}

/**
 * Copy the included files into the new worktree, then run the setup with
 * its output in `logPath`. Throws SetupFailedError when the setup fails.
 */
export async function bootstrapWorktree(ctx: DispatchContext, plan: DispatchPlan, logPath: string, guard?: StartGuard, note?: StartingNote): Promise<void> {
  if (plan.bootstrap.include) {
    const result = await copyIncluded(plan.checkout.dir, plan.cwd, await listIncluded(plan.checkout.dir))
    for (const s of result.skipped) ctx.warn(`warning: .worktreeinclude: did not copy ${s.path}: ${s.reason}`)
  }
  const command = plan.bootstrap.setup
  if (!command) return note?.bootstrapped()
  const env = setupEnv(workerEnv(ctx.env, ctx.config, plan), tokenNames(ctx.config))
  const outcome = await runSetup({command, cwd: plan.cwd, env, logPath, timeoutMs: ctx.config.worktree.setupTimeoutMs, shell: ctx.env.SHELL || '/bin/sh', onKill: guard && ((kill) => guard.undo(kill)), onSpawn: note?.setupStarted})
  if (outcome.ok) return note?.bootstrapped()
  const how = outcome.spawnError
    ? `could not run: ${outcome.spawnError}`
    : outcome.timedOut
      ? `did not finish within worktree.setupTimeoutMs (${ctx.config.worktree.setupTimeoutMs} ms) and was killed`
      : outcome.signal
        ? `was killed by ${outcome.signal}`
        : `exited with code ${outcome.exitCode}`
  throw new SetupFailedError(
    `The worktree setup for ${plan.issue.ref} ${how}; no worker was started.`,
    `The worktree ${plan.cwd} is kept for inspection; its log is ${logPath}. Fix the setup and dispatch again with --setup (or skip it with --no-setup).`,
    await tailOf(logPath),
  )
}

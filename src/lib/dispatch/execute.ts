import {rmSync} from 'node:fs'
import {open, unlink} from 'node:fs/promises'
import path from 'node:path'

import {bootstrapWorktree, markStarting, needsBootstrap, startingNotes, stopOrphanSetup, type StartingRecord} from '../bootstrap/index.js'
import {todaysSpend, type Spend} from '../budget.js'
import {claudeConfigFile, preTrust} from '../claude.js'
import type {DispatchContext} from '../context.js'
import {FailureError, errorMessage} from '../errors.js'
import {faultPoint} from '../faults.js'
import {StartGuard} from '../interrupt.js'
import {dispatchLockPath, withLock} from '../lock.js'
import {logPath} from '../naming.js'
import {notify} from '../notify.js'
import {outcomeForgeSpec} from '../outcome/finish.js'
import {timedStep, type Progress} from '../progress.js'
import {sweepDue, sweepLater} from '../reap/background.js'
import {candidates} from '../reap/facts.js'
import {reap} from '../reap/index.js'
import type {SidequestRecord} from '../registry/index.js'
import {runnerFor} from '../runners/index.js'
import {sandboxPreflight, workerSandbox, type SandboxWarning} from '../sandbox/index.js'
import {ensurePrivateDirs, ensureStateDir} from '../state.js'
import type {LaunchedWorker} from '../worker/spawn.js'
import {configuredCheckout} from '../workspace.js'
import {applyWorktree, fetchOrigin} from '../worktree/index.js'
import {admit, admitSpend} from './admit.js'
import {gatherLocal} from './gather.js'
import {planDispatch} from './plan.js'
import {baseRecord} from './record.js'
import type {DispatchOptions, DispatchPlan, RemoteFacts} from './types.js'
import {workerEnv} from './worker-env.js'

// For the interactive surfaces, which load this module lazily too.
export {workerSandbox}

/** The quiet sweep spares worktrees younger than this: their dispatch may still be starting its worker. */
const QUIET_REAP_MIN_AGE_MS = 120_000

/**
 * Before the lock: judge this issue's own worktrees (by the same rule as
 * `dispatch reap`, quietly, never failing a dispatch: a merged one a reuse
 * plan chose goes, and the dispatch starts fresh) and fetch origin when a
 * worktree may be created from it. Network and sweeping happen here so
 * concurrent dispatches queue only for the short part. The repository's
 * other worktrees are swept after the worker started (sweepAfterStart):
 * their number must not slow a dispatch. Returns the sandbox's warnings.
 */
export async function prepare(ctx: DispatchContext, first: DispatchPlan, progress: Progress): Promise<SandboxWarning[]> {
  // A sandbox that cannot start fails the dispatch before anything exists.
  const warnings = sandboxPreflight(ctx, first)
  await ensureStateDir(ctx.config.stateDir)
  if (first.worktree.action === 'in-place') return warnings
  const fresh = first.worktree.action === 'create' || first.worktree.action === 'checkout'
  const only = {owner: first.issue.owner, repo: first.issue.repo, issue: first.issue.number}
  const own = candidates(ctx.config.worktreeRoot, only).length > 0
  const sweep = own ? reap({worktreeRoot: ctx.config.worktreeRoot, registry: ctx.registry(), stateDir: ctx.config.stateDir, dryRun: false, only, fetch: true, minAgeMs: QUIET_REAP_MIN_AGE_MS, quiet: true, checkoutOf: (owner, repo) => configuredCheckout(ctx.config, owner, repo)}).catch(() => []) : undefined
  await timedStep(progress, 'Fetching origin', Promise.all([sweep, fresh ? fetchOrigin(first.checkout.dir) : undefined]))
  return warnings
}

/**
 * Once a worker runs: sweep the repository's worktrees in a detached,
 * low-priority process the dispatch never waits for (reap/background.ts),
 * when any of them is old enough to judge.
 */
export function sweepAfterStart(ctx: DispatchContext, plan: DispatchPlan): void {
  if (plan.worktree.action === 'in-place') return
  const spec = {worktreeRoot: ctx.config.worktreeRoot, stateDir: ctx.config.stateDir, owner: plan.issue.owner, repo: plan.issue.repo, checkout: plan.checkout.dir, minAgeMs: QUIET_REAP_MIN_AGE_MS}
  if (!sweepDue(spec, plan.worktree.path, ctx.now().getTime())) return
  // The sweep talks to git and origin only: no forge token goes with it.
  const env = {...ctx.env}
  for (const name of ['GH_TOKEN', 'GITHUB_TOKEN', ctx.config.forgejo?.tokenEnv ?? 'FORGEJO_TOKEN']) delete env[name]
  sweepLater(spec, env)
}

/** How a dispatch reads the active workers under the lock. */
export type ActiveWorkers = () => Promise<SidequestRecord[]>

/** Run `fn` under the registry lock every dispatch takes, so the checks against active workers stay honest. */
export async function underDispatchLock<T>(ctx: DispatchContext, fn: () => Promise<T>): Promise<T> {
  const lapse = () => ctx.warn('warning: this machine is so busy that dispatch could not keep its registry lock fresh; another dispatch may have checked for duplicates at the same moment (dispatch sidequests list shows every worker)')
  return withLock(dispatchLockPath(ctx.config.stateDir), fn, {onLapse: lapse})
}

/**
 * Today's spend, read under the lock so each start (a fan-out's too) sees the
 * costs recorded until then; every record, ended ones included. Read only when
 * a budget is set: without one a dispatch reads no more than before.
 */
async function spendToday(ctx: DispatchContext): Promise<Spend | undefined> {
  return ctx.config.budget ? todaysSpend(await ctx.registry().all(), ctx.now()) : undefined
}

/**
 * Under the lock: read the repository and the active workers again (the sweep
 * may have removed a worktree, another worker may have taken one), plan from
 * those facts, admit, and make the workspace: worktree and trust. Returns the
 * plan that runs; nothing planned earlier is used. `workers` reads the
 * active workers (a fan-out passes its registry/view.ts ActiveView).
 * `takenOver`: notes of an earlier dispatch of this issue that was killed
 * during its bootstrap; this one stops the setup it left running and
 * bootstraps the worktree again.
 */
export async function settle(ctx: DispatchContext, remote: RemoteFacts, opts: DispatchOptions, workers: ActiveWorkers = () => ctx.registry().active()): Promise<{plan: DispatchPlan; takenOver: StartingRecord[]}> {
  // Dispatches still setting up their worktree count as active: their ref, claims, worktree and index are taken.
  const notes = await startingNotes(ctx.config.stateDir, ctx.warn)
  const ofThisIssue = (n: StartingRecord) => n.ref.toLowerCase() === remote.issue.ref.toLowerCase()
  const orphans = notes.active.filter((n) => n.setup_orphaned && ofThisIssue(n))
  for (const o of orphans) {
    ctx.warn(`warning: the worktree setup of an earlier dispatch of ${o.ref}, which was killed, was still running (pid ${o.pid}); stopping it and setting up ${o.cwd} again`)
    await stopOrphanSetup(o)
  }
  const takenOver = [...orphans, ...notes.unfinished.filter(ofThisIssue)]
  const active = [...(await workers()), ...notes.active.filter((n) => !orphans.includes(n))]
  const local = {...(await gatherLocal(remote, opts, active)), unfinishedBootstrap: takenOver.map((n) => n.cwd)}
  const plan = planDispatch(remote, local, opts)
  admit(active, plan, ctx.config.maxActive, opts.force)
  admitSpend(await spendToday(ctx), ctx.config.budget, ctx.config.file)
  if (plan.note) ctx.warn(plan.note)
  await applyWorktree(plan.checkout.dir, plan.worktree)
  await faultPoint('after-worktree', ctx.config.stateDir)
  const trust = await preTrust(claudeConfigFile(ctx.env), plan.cwd)
  if (trust === 'corrupt' || trust === 'unexpected') {
    ctx.warn(`warning: ${claudeConfigFile(ctx.env)} is ${trust === 'corrupt' ? 'not valid JSON' : 'not in the shape dispatch expects (projects is not an object)'}; left it alone, so Claude may ask to trust ${plan.cwd}`)
  }
  return {plan, takenOver}
}

/** Remove the notes a dispatch took over, once its own note (or its worker's record) stands in for them. */
async function forgetNotes(notes: readonly StartingRecord[]): Promise<void> {
  await Promise.all(notes.map((n) => (n.note_file ? unlink(n.note_file).catch(() => {}) : undefined)))
}

/**
 * Settle under the registry lock and `launch` the worker. A worktree to
 * bootstrap (.worktreeinclude, setup) is made ready between two holds of
 * the lock, since a setup may take minutes; meanwhile the dispatch is noted
 * as starting so other dispatches count it. `log` is the worker's log when
 * a setup wrote to it first.
 */
export async function settleAndLaunch<T>(ctx: DispatchContext, remote: RemoteFacts, opts: DispatchOptions, launch: (plan: DispatchPlan, log?: string) => Promise<T>, io: {progress: Progress; guard?: StartGuard; log: boolean; workers?: ActiveWorkers}): Promise<{plan: DispatchPlan; launched: T}> {
  const first = await underDispatchLock(ctx, async () => {
    const {plan, takenOver} = await settle(ctx, remote, opts, io.workers)
    if (!needsBootstrap(plan)) {
      const launched = await launch(plan)
      await forgetNotes(takenOver)
      return {plan, launched, note: undefined}
    }
    const note = await markStarting(ctx.config.stateDir, baseRecord(plan, ctx.now(), null))
    await forgetNotes(takenOver)
    return {plan, launched: undefined, note}
  })
  if (!first.note) return {plan: first.plan, launched: first.launched as T}
  const {plan, note} = first
  // An interactive dispatch has no guard of its own; Ctrl-C during its setup must still
  // kill the setup (it runs in a process group of its own, out of the terminal's reach).
  const guard = io.guard ?? new StartGuard()
  const bootstrap = async () => {
    const log = await createLog(ctx.config.stateDir, plan, ctx.now(), guard)
    await timedStep(io.progress, plan.bootstrap.setup ? 'Setting up the worktree' : 'Copying .worktreeinclude files', bootstrapWorktree(ctx, plan, log, guard, note))
    return log
  }
  try {
    const log = await (io.guard ? bootstrap() : guard.race(bootstrap))
    return {plan, launched: await underDispatchLock(ctx, () => launch(plan, io.log ? log : undefined))}
  } finally {
    await note.forget()
  }
}

/** Create the worker's log exclusively, 0600; a clash (same second) gets a suffix. */
async function createLog(stateDir: string, plan: DispatchPlan, started: Date, guard?: StartGuard): Promise<string> {
  const base = logPath(stateDir, plan.issue.owner, plan.issue.repo, plan.issue.number, started)
  await ensurePrivateDirs(stateDir, path.relative(stateDir, path.dirname(base)))
  for (let i = 0; i < 100; i++) {
    const file = i === 0 ? base : base.replace(/\.log$/, `-${i}.log`)
    try {
      const handle = await open(file, 'wx', 0o600)
      // An interrupted dispatch leaves no log of a worker that never ran.
      guard?.undo(() => rmSync(file, {force: true}))
      await handle.close()
      return file
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FailureError(`Cannot create the log ${file}: ${errorMessage(error)}.`, 'Check free space and permissions of the state directory.')
      }
    }
  }
  throw new FailureError(`Too many logs for ${plan.issue.ref} in one second.`, 'Try again.')
}

/** Start a headless or cascade worker through the plan's runner; resolves once its record is written. */
export async function startWorker(ctx: DispatchContext, plan: DispatchPlan, guard?: StartGuard, existingLog?: string): Promise<LaunchedWorker> {
  const started = ctx.now()
  const log = existingLog ?? (await createLog(ctx.config.stateDir, plan, started, guard))
  const {env, sandbox} = await workerSandbox(ctx, plan, workerEnv(ctx.env, ctx.config, plan))
  return runnerFor(plan.runner, {config: ctx.config, env: ctx.env, waitStart: plan.waitStart}).start(
    {
      claudeBin: plan.claudeBin,
      args: [...plan.args],
      prompt: plan.prompt,
      cwd: plan.cwd,
      env,
      ...(sandbox ? {sandbox} : {}),
      logPath: log,
      stateDir: ctx.config.stateDir,
      record: baseRecord(plan, started, log),
      notify: ctx.config.notify,
      forges: outcomeForgeSpec(ctx.config),
    },
    guard,
    ctx.registry(),
  )
}

/** Tell the notifiers a worker started (SPEC §7). */
export async function notifyDispatched(ctx: DispatchContext, r: SidequestRecord): Promise<void> {
  await notify(ctx.config.notify, {event: 'dispatched', mode: r.mode, ref: r.ref, title: r.title, url: r.url, cwd: r.cwd, pid: r.pid}, ctx.env, ctx.warn)
}

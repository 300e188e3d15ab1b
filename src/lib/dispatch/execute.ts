import {rmSync} from 'node:fs'
import {open} from 'node:fs/promises'
import path from 'node:path'

import {todaysSpend, type Spend} from '../budget.js'
import {bootstrapWorktree, markStarting, needsBootstrap, startingRecords} from '../bootstrap/index.js'
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
import {reap} from '../reap/index.js'
import type {SidequestRecord} from '../registry/index.js'
import {runnerFor} from '../runners/index.js'
import {ensurePrivateDirs, ensureStateDir} from '../state.js'
import type {LaunchedWorker} from '../worker/spawn.js'
import {applyWorktree, fetchOrigin} from '../worktree/index.js'
import {admit, admitSpend} from './admit.js'
import {gatherLocal} from './gather.js'
import {planDispatch} from './plan.js'
import {baseRecord} from './record.js'
import type {DispatchOptions, DispatchPlan, RemoteFacts} from './types.js'
import {workerEnv} from './worker-env.js'

/**
 * Before the lock: sweep this repository's worktrees that hold no work (by
 * the same rule as `dispatch reap`, quietly, never failing a dispatch) and
 * fetch origin when a worktree may be created from it. Network and sweeping
 * happen here so concurrent dispatches queue only for the short part.
 */
/** The quiet sweep spares worktrees younger than this: their dispatch may still be starting its worker. */
const QUIET_REAP_MIN_AGE_MS = 120_000

export async function prepare(ctx: DispatchContext, first: DispatchPlan, progress: Progress): Promise<void> {
  await ensureStateDir(ctx.config.stateDir)
  if (first.worktree.action === 'in-place') return
  const fresh = first.worktree.action === 'create' || first.worktree.action === 'checkout'
  const sweep = reap({worktreeRoot: ctx.config.worktreeRoot, registry: ctx.registry(), stateDir: ctx.config.stateDir, dryRun: false, only: {owner: first.issue.owner, repo: first.issue.repo}, fetch: true, minAgeMs: QUIET_REAP_MIN_AGE_MS}).catch(() => [])
  await timedStep(progress, 'Fetching origin', Promise.all([sweep, fresh ? fetchOrigin(first.checkout.dir) : undefined]))
}

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
 * plan that runs; nothing planned earlier is used.
 */
export async function settle(ctx: DispatchContext, remote: RemoteFacts, opts: DispatchOptions): Promise<DispatchPlan> {
  // Dispatches still setting up their worktree count as active: their ref, claims, worktree and index are taken.
  const active = [...(await ctx.registry().active()), ...(await startingRecords(ctx.config.stateDir))]
  const plan = planDispatch(remote, await gatherLocal(remote, opts, active), opts)
  admit(active, plan, ctx.config.maxActive, opts.force)
  admitSpend(await spendToday(ctx), ctx.config.budget, ctx.config.file)
  if (plan.note) ctx.warn(plan.note)
  await applyWorktree(plan.checkout.dir, plan.worktree)
  await faultPoint('after-worktree', ctx.config.stateDir)
  const trust = await preTrust(claudeConfigFile(ctx.env), plan.cwd)
  if (trust === 'corrupt' || trust === 'unexpected') {
    ctx.warn(`warning: ${claudeConfigFile(ctx.env)} is ${trust === 'corrupt' ? 'not valid JSON' : 'not in the shape dispatch expects (projects is not an object)'}; left it alone, so Claude may ask to trust ${plan.cwd}`)
  }
  return plan
}

/**
 * Settle under the registry lock and `launch` the worker. A worktree to
 * bootstrap (.worktreeinclude, setup) is made ready between two holds of
 * the lock, since a setup may take minutes; meanwhile the dispatch is noted
 * as starting so other dispatches count it. `log` is the worker's log when
 * a setup wrote to it first.
 */
export async function settleAndLaunch<T>(ctx: DispatchContext, remote: RemoteFacts, opts: DispatchOptions, launch: (plan: DispatchPlan, log?: string) => Promise<T>, io: {progress: Progress; guard?: StartGuard; log: boolean}): Promise<{plan: DispatchPlan; launched: T}> {
  const first = await underDispatchLock(ctx, async () => {
    const plan = await settle(ctx, remote, opts)
    if (!needsBootstrap(plan)) return {plan, launched: await launch(plan), forget: undefined}
    return {plan, launched: undefined, forget: await markStarting(ctx.config.stateDir, baseRecord(plan, ctx.now(), null))}
  })
  if (!first.forget) return {plan: first.plan, launched: first.launched as T}
  const {plan, forget} = first
  // An interactive dispatch has no guard of its own; Ctrl-C during its setup must still
  // kill the setup (it runs in a process group of its own, out of the terminal's reach).
  const guard = io.guard ?? new StartGuard()
  const bootstrap = async () => {
    const log = await createLog(ctx.config.stateDir, plan, ctx.now(), guard)
    await timedStep(io.progress, plan.bootstrap.setup ? 'Setting up the worktree' : 'Copying .worktreeinclude files', bootstrapWorktree(ctx, plan, log, guard))
    return log
  }
  try {
    const log = await (io.guard ? bootstrap() : guard.race(bootstrap))
    return {plan, launched: await underDispatchLock(ctx, () => launch(plan, io.log ? log : undefined))}
  } finally {
    await forget()
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
  return runnerFor(plan.runner, {config: ctx.config, env: ctx.env, waitStart: plan.waitStart}).start(
    {
      claudeBin: plan.claudeBin,
      args: [...plan.args],
      prompt: plan.prompt,
      cwd: plan.cwd,
      env: workerEnv(ctx.env, ctx.config, plan),
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

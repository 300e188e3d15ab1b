/**
 * The path of one ref from the command line to a running worker:
 *
 *   gather  every read (forge, git, registry, prompt template), concurrently where it can
 *   plan    a pure decision over those facts: worktree, claims, prompt, argv
 *   admit   the checks against active workers (duplicate, claims, maxActive)
 *   execute apply the plan: sweep and fetch, then under the registry lock read
 *           again, plan, admit, make the worktree, trust it, write the log and
 *           start the worker through its runner
 *
 * --dry-run stops after plan. launchHeadless and judgeHealth split a headless
 * dispatch at its health window, for callers that start several workers and
 * wait for them together (dispatch watch; a continuation is a DispatchOptions
 * key, not another path).
 *
 * NOTE: execute and the interactive surfaces (with the runners, worker,
 * reap, outcome and session modules behind them: a third of the command's
 * modules) are imported when a dispatch runs, not when this file loads, so
 * --dry-run does not load what it never runs.
 */
import {plannedIncludes} from '../bootstrap/index.js'
import type {IncludeResult} from '../bootstrap/include.js'
import type {DispatchContext} from '../context.js'
import {UsageError} from '../errors.js'
import {faultPoint} from '../faults.js'
import type {StartGuard} from '../interrupt.js'
import type {ConcreteSurface, SurfaceResult} from '../interactive/surfaces.js'
import {silentProgress, timedStep, type Progress} from '../progress.js'
import type {SidequestRecord} from '../registry/index.js'
import type {HealthVerdict, LaunchedWorker} from '../worker/spawn.js'
import type {StartWarning} from '../worker/stream/index.js'
import type {SandboxWarning} from '../sandbox/index.js'
import {gather} from './gather.js'
import {planDispatch} from './plan.js'
import {baseRecord} from './record.js'
import type {DispatchOptions, DispatchPlan} from './types.js'
import {workerEnv} from './worker-env.js'
import type {ActiveWorkers} from './execute.js'

export type {Continuation, DispatchOptions, DispatchPlan, Posture} from './types.js'
export type {ActiveWorkers} from './execute.js'
export {claudeOptions} from './plan.js'

/** What a dispatch would do, reading only; with the files .worktreeinclude would copy into a new worktree. */
export async function dryRun(ctx: DispatchContext, opts: DispatchOptions, progress: Progress = silentProgress): Promise<DispatchPlan & {includes: IncludeResult}> {
  const {remote, local} = await gather(ctx, opts, progress)
  const plan = planDispatch(remote, local, opts)
  if (plan.note) ctx.warn(plan.note)
  return {...plan, includes: await plannedIncludes(plan)}
}

export interface HeadlessResult {
  plan: DispatchPlan
  record: SidequestRecord
  health: HealthVerdict
  /** The model API's retries and refused tool calls during start-up, and the daily reminder of an unsandboxed default. */
  warnings: Array<StartWarning | SandboxWarning>
}

/** `dispatch headless` / `dispatch cascade`: everything up to a healthy, detached worker. */
export async function dispatchHeadless(ctx: DispatchContext, opts: DispatchOptions, io: {progress?: Progress; guard?: StartGuard} = {}): Promise<HeadlessResult> {
  const progress = io.progress ?? silentProgress
  const loading = import('./execute.js')
  loading.catch(() => {}) // awaited below; a failed gather must not leave it unhandled
  const {remote, local} = await gather(ctx, opts, progress)
  const {notifyDispatched, prepare, settleAndLaunch, startWorker, sweepAfterStart} = await loading
  const said = await prepare(ctx, planDispatch(remote, local, opts), progress)
  const {plan, launched} = await settleAndLaunch(ctx, remote, opts, (plan, log) => startWorker(ctx, plan, io.guard, log), {progress, guard: io.guard, log: true})
  sweepAfterStart(ctx, plan)
  await faultPoint('after-record', ctx.config.stateDir)
  const result = await timedStep(progress, "Waiting for the worker's first reply", launched.waitHealthy(ctx.config.healthWindowMs))
  await notifyDispatched(ctx, result.record)
  return {plan, ...result, warnings: [...said, ...result.warnings]}
}

/** A headless worker launched and recorded, its health window still running. */
export interface LaunchedRun {
  plan: DispatchPlan
  /** The record as written at launch (pid, log, and for a continuation attempt, round, continues). */
  record: SidequestRecord
  launched: LaunchedWorker
  /** The sandbox's warnings from the preflight (the caller says them). */
  warnings: SandboxWarning[]
}

/**
 * What several launches share: the checkouts already fetched or swept (origin
 * once per checkout), and one reader of the active workers.
 */
export interface LaunchShared {
  prepared?: Map<string, 'swept' | 'fetched'>
  workers?: ActiveWorkers
}

/**
 * Start one headless (or cascade) worker, a fresh start or a continuation
 * (opts.continuation: `-p --resume <id>`, the continuation prompt on stdin),
 * through the path of `dispatch headless` — gather, plan, prepare, and under
 * the registry lock settle, admit and launch — and resolve as soon as its
 * record is written, without waiting out the health window: judgeHealth does
 * that, so a caller starting several workers overlaps their windows as a
 * fan-out does. Refusals reject with a PolicyError whose `reason` says which
 * check refused. The repository's other worktrees are swept once per checkout.
 */
export async function launchHeadless(ctx: DispatchContext, opts: DispatchOptions, io: {guard?: StartGuard; progress?: Progress; shared?: LaunchShared} = {}): Promise<LaunchedRun> {
  const progress = io.progress ?? silentProgress
  const loading = import('./execute.js')
  loading.catch(() => {}) // awaited below; a failed gather must not leave it unhandled
  const {remote, local} = await gather(ctx, opts, progress)
  const {prepare, settleAndLaunch, startWorker, sweepAfterStart} = await loading
  const first = planDispatch(remote, local, opts)
  const prepared = io.shared?.prepared
  const fresh = first.worktree.action === 'create' || first.worktree.action === 'checkout'
  const done = prepared?.get(first.checkout.dir)
  let warnings: SandboxWarning[] = []
  // prepare judges the issue's own worktrees and fetches origin for a new one: once per checkout when launches share.
  if (!fresh || done !== 'fetched') {
    warnings = await prepare(ctx, first, progress)
    prepared?.set(first.checkout.dir, fresh ? 'fetched' : (done ?? 'swept'))
  }
  const {plan, launched} = await settleAndLaunch(ctx, remote, opts, (p, log) => startWorker(ctx, p, io.guard, log), {progress, guard: io.guard, log: true, workers: io.shared?.workers})
  await faultPoint('after-record', ctx.config.stateDir)
  if (!done) sweepAfterStart(ctx, plan)
  return {plan, record: launched.record, launched, warnings}
}

/**
 * Wait out a launched worker's health window, then tell the notifiers it
 * started. Rejects as `dispatch headless` fails when the worker died at start
 * (its record then says crashed).
 */
export async function judgeHealth(ctx: DispatchContext, launched: LaunchedWorker): Promise<{record: SidequestRecord; health: HealthVerdict; warnings: StartWarning[]}> {
  const {notifyDispatched} = await import('./execute.js')
  const result = await launched.waitHealthy(ctx.config.healthWindowMs)
  await notifyDispatched(ctx, result.record)
  return {record: result.record, health: result.health, warnings: result.warnings}
}

export interface InteractiveResult {
  plan: DispatchPlan
  record?: SidequestRecord
  surface: SurfaceResult
}

/**
 * `dispatch interactive`: the same checks, worktree and trust as headless, then
 * a live session on a surface (SPEC §6). The registry lock is held until the
 * session's record exists, so duplicate and claim checks stay honest; a
 * foreground session then runs on with the lock released.
 */
export async function dispatchInteractive(ctx: DispatchContext, opts: DispatchOptions, surface: ConcreteSurface, progress: Progress = silentProgress): Promise<InteractiveResult> {
  const loading = Promise.all([import('./execute.js'), import('../interactive/surfaces.js')])
  loading.catch(() => {}) // awaited below; a failed gather must not leave it unhandled
  const {remote, local} = await gather(ctx, opts, progress)
  const [{notifyDispatched, prepare, settleAndLaunch, sweepAfterStart, workerSandbox}, {launchSurface, openForeground}] = await loading
  const first = planDispatch(remote, local, opts)
  // The print surface hands over a command line the operator runs by hand: nothing could confine it.
  if (surface === 'print' && first.sandbox.kind !== 'none') {
    throw new UsageError(
      `The print surface cannot run a sandboxed session: it prints a command line for you to run, outside any sandbox (sandbox: ${first.sandbox.kind}).`,
      'Open the session where dispatch runs it: --surface tmux or --surface foreground (in a terminal), or choose --no-sandbox.',
    )
  }
  for (const w of await prepare(ctx, first, progress)) ctx.warn(`warning: ${w.message}`)
  const registry = ctx.registry()
  const sessionSpec = async (plan: DispatchPlan) => {
    const {env, sandbox} = await workerSandbox(ctx, plan, workerEnv(ctx.env, ctx.config, plan))
    return {claudeBin: plan.claudeBin, args: [...plan.args], prompt: plan.prompt, cwd: plan.cwd, env, stateDir: ctx.config.stateDir, record: baseRecord(plan, ctx.now(), null), ...(sandbox ? {sandbox} : {})}
  }
  if (surface === 'foreground') {
    const {plan, launched} = await settleAndLaunch(ctx, remote, opts, async (plan) => {
      const session = openForeground(await sessionSpec(plan), registry)
      return {session, record: await session.started}
    }, {progress, log: false})
    sweepAfterStart(ctx, plan)
    const {session, record} = launched
    if (record) await notifyDispatched(ctx, record)
    const outcome = await session.result
    return {plan, record: outcome.pid ? await registry.get(outcome.pid) : undefined, surface: outcome}
  }
  const {plan, launched: outcome} = await settleAndLaunch(ctx, remote, opts, async (plan) => {
    // tmux starts the session at once; another terminal may take its time, so wait less and say so.
    return launchSurface({surface, spec: await sessionSpec(plan), env: ctx.env, startTimeoutMs: surface === 'tmux' ? 10_000 : 3000, commandTemplate: ctx.config.interactive.command, secretNames: [ctx.config.forgejo?.tokenEnv ?? 'FORGEJO_TOKEN'], registry})
  }, {progress, log: false})
  sweepAfterStart(ctx, plan)
  const record = outcome.pid ? await registry.get(outcome.pid) : undefined
  if (record) await notifyDispatched(ctx, record)
  return {plan, record, surface: outcome}
}

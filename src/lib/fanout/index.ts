/**
 * Fan-out (issue #14): `dispatch headless REF REF …` and `--label L --repo
 * owner/repo`. Each issue goes the path of a single dispatch (gather → plan →
 * admit → execute, src/lib/dispatch/), one after another under the registry
 * lock, so every admission sees the workers started before it (duplicates,
 * claims, maxActive). A refusal or failure of one issue does not stop the
 * others. Health windows overlap: each worker's starts the moment it is
 * launched, and the fan-out waits for all of them at the end, so twenty
 * issues cost about one health window, not twenty.
 */
import type {DispatchContext} from '../context.js'
import {dryRun, launchHeadless, type DispatchOptions, type DispatchPlan, type HeadlessResult, type LaunchShared} from '../dispatch/index.js'
import {notifyDispatched} from '../dispatch/execute.js'
import {EXIT, InterruptedError, PolicyError, type DispatchError} from '../errors.js'
import type {StartGuard} from '../interrupt.js'
import {silentProgress, type Progress} from '../progress.js'
import {ActiveView, type SidequestRecord} from '../registry/index.js'
import {asDispatchError} from '../report.js'
import type {LaunchedWorker} from '../worker/spawn.js'
import {FanoutGuard} from './guard.js'

export {FanoutGuard} from './guard.js'

/** One issue of a fan-out: `input` is resolved, `ref` is shown until the forge names it. */
export interface FanoutTarget {
  input: string
  ref: string
}

export type FanoutOutcome = 'started' | 'planned' | 'refused' | 'failed' | 'skipped'

export interface FanoutItem {
  input: string
  /** The canonical ref once the forge answered, else as given. */
  ref: string
  outcome: FanoutOutcome
  /** started: the worker, as a single dispatch reports it; health 'interrupted' when the fan-out was stopped before it was known. */
  started?: {plan?: DispatchPlan; record: SidequestRecord; health: HeadlessResult['health'] | 'interrupted'; warnings: HeadlessResult['warnings']}
  /** planned (--dry-run): what would run. */
  plan?: DispatchPlan
  /** refused, failed, skipped: why. */
  error?: DispatchError
}

/** Policy refusals (owner, state, pull request, duplicate, claims, maxActive) are refusals; anything else is a failure. Pure. */
export function outcomeOf(error: DispatchError): 'refused' | 'failed' {
  return error instanceof PolicyError ? 'refused' : 'failed'
}

/**
 * The fan-out's exit code: interrupted → 128 + signal; any failure → 1; else
 * any refusal → 3; else 0 (all started, or all planned). Pure.
 */
export function fanoutExitCode(items: readonly Pick<FanoutItem, 'outcome'>[], interrupted?: InterruptedError): number {
  if (interrupted) return interrupted.exitCode
  if (items.some((i) => i.outcome === 'failed')) return EXIT.failure
  if (items.some((i) => i.outcome === 'refused')) return EXIT.refused
  return EXIT.ok
}

export interface FanoutResult {
  items: FanoutItem[]
  /** Set when Ctrl-C or SIGTERM stopped the fan-out. */
  interrupted?: InterruptedError
}

type Launched = {plan: DispatchPlan; launched: LaunchedWorker}

/**
 * Dispatch every target with the same options. Resolves with one item per
 * target, in order; never rejects for one issue's trouble.
 */
export async function dispatchMany(ctx: DispatchContext, opts: Omit<DispatchOptions, 'ref'>, targets: readonly FanoutTarget[], io: {guard: FanoutGuard; progress?: Progress}): Promise<FanoutResult> {
  const progress = io.progress ?? silentProgress
  const items: FanoutItem[] = targets.map((t) => ({input: t.input, ref: t.ref, outcome: 'skipped'}))
  const prepared = new Map<string, 'swept' | 'fetched'>()
  // One view of the active workers for the whole fan-out: each admission reads only the records new since the last.
  const view = new ActiveView(ctx.registry())
  const workers = () => view.active()
  const health: Array<Promise<void>> = []
  let interrupted: InterruptedError | undefined

  for (const [i, target] of targets.entries()) {
    if (io.guard.signal) break
    const item = items[i]
    const one: DispatchOptions = {...opts, ref: target.input}
    if (opts.dryRun) {
      try {
        const plan = await Promise.race([dryRun(ctx, one, progress), io.guard.interrupted.then(() => undefined)])
        if (!plan) break
        Object.assign(item, {ref: plan.issue.ref, outcome: 'planned', plan})
      } catch (error) {
        refuse(item, error)
      }
      continue
    }
    const guard = io.guard.begin()
    try {
      const {plan, launched} = await Promise.race([launch(ctx, one, guard, {prepared, workers}, progress), guard.interrupted])
      Object.assign(item, {ref: plan.issue.ref, outcome: 'started', started: {plan, record: launched.record, health: 'interrupted', warnings: []}})
      // The health window starts now and runs while the next issues are dispatched.
      health.push(judge(ctx, item, launched))
    } catch (error) {
      if (error instanceof InterruptedError) {
        interrupted = error
        // NOTE: by its record key, not its pid: a queued Slurm job's pid is 0.
        if (error.recordKey) await startedBeforeStop(ctx, item, error.recordKey)
        break
      }
      refuse(item, error)
    } finally {
      io.guard.end()
    }
  }

  if (io.guard.signal && !interrupted) interrupted = new InterruptedError('Interrupted; no further issue was started.', io.guard.signal)
  if (!interrupted && health.length > 0) {
    progress.start(`Waiting for the first reply of ${health.length} worker${health.length === 1 ? '' : 's'}`)
    const signal = await Promise.race([Promise.all(health).then(() => undefined), io.guard.interrupted])
    progress.stop()
    if (signal) interrupted = new InterruptedError('Interrupted while waiting for the workers\' first replies; the started workers keep running.', signal)
  }
  for (const item of items) {
    if (item.outcome === 'skipped') item.error = new InterruptedError('Not started: the fan-out was interrupted.', interrupted?.signal ?? 'SIGINT')
  }
  return {items, ...(interrupted ? {interrupted} : {})}
}

function refuse(item: FanoutItem, error: unknown): void {
  const e = asDispatchError(error)
  item.outcome = outcomeOf(e)
  item.error = e
}

/** One issue up to a launched worker: a single dispatch's path (launchHeadless), with the fetch and the background sweep once per checkout. */
async function launch(ctx: DispatchContext, opts: DispatchOptions, guard: StartGuard, shared: LaunchShared, progress: Progress): Promise<Launched> {
  const {plan, launched, warnings} = await launchHeadless(ctx, opts, {guard, progress, shared})
  for (const w of warnings) ctx.warn(`warning: ${w.message}`)
  return {plan, launched}
}

/** Wait out one worker's health window and fill in its item: started with a verdict, or failed with the log tail. */
async function judge(ctx: DispatchContext, item: FanoutItem, launched: LaunchedWorker): Promise<void> {
  try {
    const result = await launched.waitHealthy(ctx.config.healthWindowMs)
    item.started = {plan: item.started?.plan, record: result.record, health: result.health, warnings: result.warnings}
    await notifyDispatched(ctx, result.record)
  } catch (error) {
    item.outcome = 'failed'
    item.error = asDispatchError(error)
  }
}

/** The issue whose worker had started when the signal came: started, health unknown. */
async function startedBeforeStop(ctx: DispatchContext, item: FanoutItem, key: string): Promise<void> {
  const record = await ctx
    .registry()
    .get(key)
    .catch(() => undefined)
  if (!record) return
  Object.assign(item, {ref: record.ref, outcome: 'started', started: {record, health: 'interrupted', warnings: []}})
}

/**
 * Start one issue's run for watch: the path of a single headless dispatch
 * (gather → plan → prepare → settle and launch under the registry lock), but
 * without waiting out the health window, which the pass waits for once for
 * every run it started, as a fan-out does.
 */
import type {DispatchContext} from '../context.js'
import {notifyDispatched, prepare, settleAndLaunch, startWorker, sweepAfterStart} from '../dispatch/execute.js'
import {gather} from '../dispatch/gather.js'
import {planDispatch} from '../dispatch/plan.js'
import type {DispatchOptions} from '../dispatch/types.js'
import {StartGuard} from '../interrupt.js'
import {silentProgress} from '../progress.js'
import type {SidequestRecord} from '../registry/index.js'
import type {HealthVerdict} from '../worker/spawn.js'

export interface StartedRun {
  record: SidequestRecord
  /** Resolves once the run is known healthy; rejects when it failed at start (its record says crashed). */
  healthy: Promise<{record: SidequestRecord; health: HealthVerdict}>
}

export type Starter = (opts: DispatchOptions) => Promise<StartedRun>

export function dispatchStarter(ctx: DispatchContext, guard: () => StartGuard = () => new StartGuard()): Starter {
  return async (opts) => {
    const {remote, local} = await gather(ctx, opts, silentProgress)
    const first = planDispatch(remote, local, opts)
    for (const w of await prepare(ctx, first, silentProgress)) ctx.warn(`warning: ${w.message}`)
    const g = guard()
    const {plan, launched} = await settleAndLaunch(ctx, remote, opts, (p, log) => startWorker(ctx, p, g, log), {progress: silentProgress, guard: g, log: true})
    sweepAfterStart(ctx, plan)
    const healthy = launched.waitHealthy(ctx.config.healthWindowMs).then(async (r) => {
      await notifyDispatched(ctx, r.record)
      return {record: r.record, health: r.health}
    })
    healthy.catch(() => {}) // the pass awaits it; a failure must not be unhandled meanwhile
    return {record: launched.record, healthy}
  }
}

/**
 * Start one issue's run for watch: the path of a single headless dispatch
 * (dispatch/index.ts launchHeadless), resolving once its record is written;
 * the pass waits for every run's health window together, as a fan-out does.
 */
import type {DispatchContext} from '../context.js'
import {judgeHealth, launchHeadless, type LaunchShared} from '../dispatch/index.js'
import type {DispatchOptions} from '../dispatch/types.js'
import type {SidequestRecord} from '../registry/index.js'
import type {HealthVerdict} from '../worker/spawn.js'

export interface StartedRun {
  record: SidequestRecord
  /** Resolves once the run is known healthy; rejects when it failed at start (its record says crashed). */
  healthy: Promise<{record: SidequestRecord; health: HealthVerdict}>
}

export type Starter = (opts: DispatchOptions) => Promise<StartedRun>

/** A starter for one pass: origin is fetched and the repository swept once per checkout, however many runs start. */
export function dispatchStarter(ctx: DispatchContext): () => Starter {
  return () => {
    const shared: LaunchShared = {prepared: new Map()}
    return async (opts) => {
      const run = await launchHeadless(ctx, opts, {shared})
      for (const w of run.warnings) ctx.warn(`warning: ${w.message}`)
      const healthy = judgeHealth(ctx, run.launched)
      healthy.catch(() => {}) // the pass awaits it; a failure must not be unhandled meanwhile
      return {record: run.record, healthy}
    }
  }
}

/**
 * `dispatch watch`: passes until asked to stop. SIGINT and SIGTERM end the
 * loop after the pass under way finishes its current start; the workers run
 * on (they are detached), and a later watch picks them up from the registry.
 */
import {setTimeout as delay} from 'node:timers/promises'

import type {DispatchContext} from '../context.js'
import {ensureStateDir} from '../state.js'
import {takeWatchLock} from './lock.js'
import {newMemory, runPass, type PassDeps, type PassResult} from './pass.js'
import type {Reporter} from './report.js'
import type {WatchSettings} from './settings.js'
import type {Starter} from './start.js'

export interface WatchRun {
  ctx: DispatchContext
  settings: WatchSettings
  base: PassDeps['base']
  /** A starter per pass (start.ts dispatchStarter). */
  start: () => Starter
  report: Reporter
  once: boolean
}

/** Resolves when the loop ends: after one pass with `once`, else on SIGINT/SIGTERM (`signal`). */
export async function runWatch(w: WatchRun): Promise<{passes: number; last?: PassResult; signal?: NodeJS.Signals}> {
  await ensureStateDir(w.ctx.config.stateDir)
  const release = takeWatchLock(w.ctx.config.stateDir, w.ctx.now())
  let signal: NodeJS.Signals | undefined
  const stop = new AbortController()
  const onSignal = (s: NodeJS.Signals) => {
    signal ??= s
    stop.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const memory = newMemory()
  let passes = 0
  let last: PassResult | undefined
  try {
    for (;;) {
      last = await runPass({ctx: w.ctx, settings: w.settings, base: w.base, start: w.start(), report: w.report, memory, stopping: () => stop.signal.aborted})
      passes++
      if (w.once || stop.signal.aborted) break
      await delay(w.settings.intervalMs, undefined, {signal: stop.signal}).catch(() => {})
      if (stop.signal.aborted) break
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    release()
  }
  if (signal) w.report.event({ref: null, event: 'stopped', reason: signal, passes, message: `dispatch watch stopped (${signal}) after ${passes} pass${passes === 1 ? '' : 'es'}; the workers it started keep running, and the next watch follows them.`})
  return {passes, last, ...(signal ? {signal} : {})}
}

/**
 * How a worker is started once its plan is applied (worktree, trust, log).
 * `local` is a detached supervisor on this machine. A runner gets everything
 * it needs in the job and hands back a launched worker whose record is on
 * disk; planning, admission and the workspace never depend on the runner.
 */
import type {StartGuard} from '../interrupt.js'
import type {Registry} from '../registry/index.js'
import type {LaunchedWorker} from '../worker/spawn.js'
import type {WorkerSpec} from '../worker/protocol.js'
import {localRunner} from './local.js'

export type RunnerKind = 'local'

export interface Runner {
  readonly kind: RunnerKind
  /**
   * Start the worker; resolves once its record is written (the caller then
   * drops the registry lock and waits for health). `registry` is the run's one.
   */
  start(job: WorkerSpec, guard: StartGuard | undefined, registry: Registry): Promise<LaunchedWorker>
}

const RUNNERS: Record<RunnerKind, Runner> = {local: localRunner}

export function runnerFor(kind: RunnerKind): Runner {
  return RUNNERS[kind]
}

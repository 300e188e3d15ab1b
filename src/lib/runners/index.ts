/**
 * How a worker is started once its plan is applied (worktree, trust, log).
 * `local` is a detached supervisor on this machine. A runner gets everything
 * it needs in the job and hands back a launched worker whose record is on
 * disk; planning, admission and the workspace never depend on the runner.
 */
import type {Config} from '../config/index.js'
import type {StartGuard} from '../interrupt.js'
import type {Registry, RunnerKind} from '../registry/index.js'
import type {LaunchedWorker} from '../worker/spawn.js'
import type {WorkerSpec} from '../worker/protocol.js'
import {localRunner} from './local.js'
import {startSlurmWorker} from './slurm.js'

export type {RunnerKind} from '../registry/index.js'

export interface Runner {
  readonly kind: RunnerKind
  /**
   * Start the worker; resolves once its record is written (the caller then
   * drops the registry lock and waits for health). `registry` is the run's one.
   */
  start(job: WorkerSpec, guard: StartGuard | undefined, registry: Registry): Promise<LaunchedWorker>
}

/** What a runner may need beyond the job: the cluster's settings, the environment its tools run in. */
export interface RunnerContext {
  config: Pick<Config, 'runner'>
  env: NodeJS.ProcessEnv
  /** Slurm: wait until the job runs and the model replies (--wait-start). */
  waitStart?: boolean
}

/**
 * The runner of a kind. A new kind (a Kubernetes Job, say) is one more entry
 * here and a module beside local.ts and slurm.ts: planning, admission and
 * the workspace never change.
 */
export function runnerFor(kind: RunnerKind, ctx: RunnerContext): Runner {
  if (kind === 'slurm') {
    return {kind, start: (job, guard, registry) => startSlurmWorker(job, ctx.config.runner.slurm, ctx.env, registry, guard, {waitStart: ctx.waitStart})}
  }
  return localRunner
}

import type {StartGuard} from '../interrupt.js'
import type {Registry} from '../registry/index.js'
import {launchWorker} from '../worker/spawn.js'
import type {WorkerSpec} from '../worker/protocol.js'
import type {Runner} from './index.js'

/** Today's runner: a detached supervisor on this machine owns the worker (src/lib/worker/supervisor.ts). */
export const localRunner: Runner = {
  kind: 'local',
  start: (job: WorkerSpec, guard: StartGuard | undefined, registry: Registry) => launchWorker(job, registry, guard),
}

/**
 * What a Slurm batch job runs on its node: `node slurm-job.js <spec file>`.
 * The spec file (0600, in the shared state dir) holds the worker's
 * environment with its tokens and the prompt; it is read and deleted first
 * thing, so neither ever sits in the job script, the job's environment or
 * slurmctld's state. Then the same supervision as a local worker: record,
 * log, end of the run. The job exits with claude's exit code, so the
 * scheduler's state (COMPLETED, FAILED) agrees with the record.
 */
import {appendFileSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'

import {Registry, type SidequestRecord} from '../registry/index.js'
import type {SupervisorMessage, WorkerSpec} from '../worker/protocol.js'
import {supervise} from '../worker/supervise.js'
import {unaskedScheduler} from './slurm-scheduler.js'

const specFile = process.argv[2]
let spec: WorkerSpec
try {
  spec = JSON.parse(readFileSync(specFile, 'utf8')) as WorkerSpec
} catch (error) {
  const restarts = Number(process.env.SLURM_RESTART_COUNT ?? 0)
  // Jobs are submitted with --no-requeue; an operator's `extraArgs: [--requeue]` still gets here.
  console.error(
    restarts > 0 && (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? `dispatch: Slurm job ${process.env.SLURM_JOB_ID} was requeued, which dispatch does not support: its worker spec ${specFile} was deleted, with its tokens, when the job first started. Dispatch the issue again instead.`
      : `dispatch: cannot read the worker spec ${specFile}: ${(error as Error).message}`,
  )
  process.exit(1)
} finally {
  rmSync(specFile, {force: true})
}

const jobId = process.env.SLURM_JOB_ID ?? null
const node = (process.env.SLURMD_NODENAME ?? os.hostname()).split('.')[0]
spec.record = {...spec.record, runner: 'slurm', job_id: jobId, node}

let claudePid: number | undefined
// NOTE: `scancel --signal=… --full` reaches only this process's group, not claude, which leads a
// group of its own (so that its tools go with it): pass the signal on to that group.
// (A time limit or a plain scancel reaches every process of the job by itself.)
const forward = (signal: NodeJS.Signals) => () => {
  if (claudePid === undefined) process.exit(128 + os.constants.signals[signal])
  try {
    process.kill(-claudePid, signal)
  } catch {}
}
process.on('SIGTERM', forward('SIGTERM'))
process.on('SIGINT', forward('SIGINT'))
process.on('SIGHUP', () => {})

function send(message: SupervisorMessage): void {
  // Nobody listens on a node: a failure to start goes where status and dispatch look, the log.
  if (message.type === 'spawn-error') {
    try {
      appendFileSync(spec.logPath, `dispatch: ${message.message}\n`)
    } catch {}
  }
}

void supervise(spec, {
  send,
  // The scheduler is never asked here: this process only writes its own record.
  registry: new Registry({stateDir: spec.stateDir, scheduler: unaskedScheduler}),
  // Slurm gave this process its own small environment; the worker's is in the spec.
  env: spec.env,
  onSpawn: (pid) => (claudePid = pid),
  writeStart: (registry, record: SidequestRecord) => registry.upsert({...record, pid: 0, pid_start_time: null}, {pid: record.pid, pid_start_time: record.pid_start_time, supervisor_pid: record.supervisor_pid, node}),
  done: (exitCode) => process.exit(exitCode),
})

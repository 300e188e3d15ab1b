/**
 * The Slurm runner: a worker is a batch job that runs dispatch's own
 * supervision on a node (slurm-job.ts). dispatch has made the worktree, the
 * trust and the log as for a local worker (worktreeRoot and stateDir are on
 * storage every node sees); it then writes the spec (environment with tokens,
 * prompt) to a 0600 file in the state dir, submits a job script that names
 * only that file, and writes the record under the job id. The job reads and
 * deletes the file, so no secret goes through sbatch's environment, the job
 * script or slurmctld's saved state.
 */
import {randomBytes} from 'node:crypto'
import {rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import type {Config} from '../config/index.js'
import {helperScript} from '../dev-loader.js'
import {FailureError, errorMessage} from '../errors.js'
import type {StartGuard} from '../interrupt.js'
import {Registry, recordKey, type SidequestRecord} from '../registry/index.js'
import {shellQuote} from '../shell.js'
import {ensurePrivateDirs} from '../state.js'
import {readLogTail, tailOf} from '../worker/log.js'
import type {WorkerSpec} from '../worker/protocol.js'
import {WorkerStartError, type LaunchedWorker, type StartedWorker} from '../worker/spawn.js'
import {healthSignal, parseLine} from '../worker/stream/index.js'
import {isLiveJobState, QUEUED_STATES, slurmTool} from './slurm-scheduler.js'

export type SlurmSettings = Config['runner']['slurm']

/** sbatch's options for a worker, from the config. Pure. */
export function sbatchArgs(settings: SlurmSettings, job: {name: string; cwd: string; logPath: string; exportVars: readonly string[]}): string[] {
  // NOTE: --output is a filename pattern (%j, %u, …): a % in the state dir's path must not be expanded.
  const args = ['--parsable', `--job-name=${job.name}`, `--chdir=${job.cwd}`, `--output=${job.logPath.replace(/%/g, '%%')}`, '--open-mode=append']
  // NOTE: a requeued job would run again without its spec file (deleted, with its tokens, when the job
  // first started): Slurm must never requeue it, on a node failure or by `scontrol requeue`.
  args.push('--no-requeue')
  // NOTE: sbatch would send its whole environment to slurmctld, which stores it with the job.
  // Only these harmless variables go (plus SLURM_* ones); the worker's own come from the spec file.
  args.push(`--export=${job.exportVars.length > 0 ? job.exportVars.join(',') : 'NONE'}`)
  if (settings.partition) args.push(`--partition=${settings.partition}`)
  if (settings.account) args.push(`--account=${settings.account}`)
  if (settings.qos) args.push(`--qos=${settings.qos}`)
  if (settings.timeLimit !== undefined) args.push(`--time=${settings.timeLimit}`)
  if (settings.cpus !== undefined) args.push(`--cpus-per-task=${settings.cpus}`)
  if (settings.memory !== undefined) args.push(`--mem=${settings.memory}`)
  return [...args, ...settings.extraArgs]
}

/** Variables sbatch itself may see and pass on: none of them secret. */
const SBATCH_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']

/** sbatch's own environment: the harmless variables and Slurm's (SLURM_CONF finds the cluster). Pure. */
export function sbatchEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (SBATCH_ENV.includes(k) || k.startsWith('SLURM_'))) out[k] = v
  return out
}

/** The job script: it names the spec file and nothing else the worker needs. Pure. */
export function jobScript(argv: readonly string[], ref: string): string {
  return ['#!/bin/sh', `# dispatch worker for ${ref.replace(/[^\w./#-]/g, '_')}`, `exec ${argv.map((a) => shellQuote(a)).join(' ')}`, ''].join('\n')
}

/** A job name Slurm shows in squeue: dispatch-owner-repo-N. Pure. */
export function jobName(ref: string): string {
  return `dispatch-${ref.replace(/[^\w.-]+/g, '-')}`.slice(0, 100)
}

/** Submit the job; `registry` is the run's one (records and the scheduler's answers about them). */
export async function startSlurmWorker(job: WorkerSpec, settings: SlurmSettings, env: NodeJS.ProcessEnv, registry: Registry, guard?: StartGuard, opts: {waitStart?: boolean} = {}): Promise<LaunchedWorker> {
  await ensurePrivateDirs(job.stateDir, 'slurm')
  const specFile = path.join(job.stateDir, 'slurm', `spec-${randomBytes(12).toString('hex')}.json`)
  writeFileSync(specFile, JSON.stringify(job), {mode: 0o600, flag: 'wx'})
  const forgetSpec = guard?.undo(() => rmSync(specFile, {force: true}))
  const entry = helperScript(import.meta.url, 'slurm-job')
  const script = jobScript([process.execPath, ...entry.execArgv, entry.file, specFile], job.record.ref)
  const childEnv = sbatchEnv(env)
  const args = sbatchArgs(settings, {name: jobName(job.record.ref), cwd: job.cwd, logPath: job.logPath, exportVars: SBATCH_ENV.filter((k) => childEnv[k] !== undefined)})
  guard?.hold()
  let jobId: string
  try {
    const out = await slurmTool('sbatch', args, {env: childEnv, input: script})
    const m = /^(\d+)/.exec(out.trim())
    if (!m) throw new Error(`sbatch printed no job id: ${out.trim()}`)
    jobId = m[1]
  } catch (error) {
    forgetSpec?.()
    rmSync(specFile, {force: true})
    guard?.notStarted()
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new FailureError(
      missing ? 'The Slurm runner needs sbatch, which is not on PATH.' : `Slurm did not accept the job for ${job.record.ref}: ${errorMessage(error)}.`,
      missing ? 'Install the Slurm client tools (Debian: apt-get install slurm-client), or use --runner local.' : 'Check runner.slurm in the config (partition, account, qos, limits) and: sinfo',
    )
  }
  forgetSpec?.()
  const base: SidequestRecord = {...job.record, pid: 0, pid_start_time: null, runner: 'slurm', job_id: jobId, node: null, job_spec_file: specFile}
  let record: SidequestRecord
  try {
    record = await registry.upsert(base)
  } catch (error) {
    await slurmTool('scancel', [jobId], {env: childEnv}).catch(() => {})
    rmSync(specFile, {force: true})
    guard?.notStarted()
    throw new FailureError(`Cancelled Slurm job ${jobId}: ${errorMessage(error)}.`, 'Check free space and permissions of the state directory.')
  }
  guard?.started(record)
  return {record, waitHealthy: (windowMs) => slurmHealth(job, record, windowMs, {waitStart: opts.waitStart ?? false, registry})}
}

/**
 * Health of a Slurm worker (SPEC §7 for the cluster): by default the job is
 * healthy once the scheduler holds it queued or running. With --wait-start,
 * wait until it runs, then judge its log as a local worker's: the first
 * model reply, or alive and error-free when the window closes. A job that
 * ended badly is reported with its log tail.
 */
/** How long the scheduler may lag behind a job's own record of its end. */
const SCHEDULER_CATCH_UP_MS = 5000

async function slurmHealth(job: WorkerSpec, first: SidequestRecord, windowMs: number, opts: {waitStart: boolean; registry: Registry}): Promise<StartedWorker> {
  const key = recordKey(first)
  let runningSince: number | undefined
  let endedSince: number | undefined
  for (;;) {
    const record = (await opts.registry.get(key)) ?? first
    const state = record.job_state
    const ended = Boolean(record.ended_at) || (state !== undefined && !isLiveJobState(state))
    const signals = await logSignals(job.logPath)
    if (signals.failed) throw new WorkerStartError(`The worker for ${record.ref} (Slurm job ${record.job_id}) failed to start: ${signals.failed}.`, await tailOf(job.logPath), record)
    // NOTE: the job writes its end into the record a moment before its batch script exits, so the scheduler may still
    // say RUNNING (or COMPLETING): give it a few seconds to say how the job ended (FAILED, COMPLETED) before reporting.
    if (ended && state && isLiveJobState(state) && Date.now() - (endedSince ??= Date.now()) < SCHEDULER_CATCH_UP_MS) {
      await delay(100)
      continue
    }
    if (ended) {
      if (record.exit_code === 0 && signals.finished) return {record, health: 'finished', warnings: []}
      const how = state ? `${state}${record.job_reason ? ` (${record.job_reason})` : ''}` : 'without a state'
      throw new WorkerStartError(`The worker for ${record.ref} (Slurm job ${record.job_id}) failed to start: the job ended ${how} with exit code ${record.exit_code ?? '?'}.`, await tailOf(job.logPath), record)
    }
    const queued = state !== undefined && state !== null && QUEUED_STATES.has(state)
    if (!opts.waitStart) return {record, health: queued ? 'queued' : 'running', warnings: []}
    if (!queued) {
      runningSince ??= Date.now()
      if (signals.replied) return {record, health: 'replied', warnings: []}
      if (Date.now() - runningSince >= windowMs) return {record, health: 'window', warnings: []}
    }
    await delay(queued ? 500 : 100)
  }
}

async function logSignals(logPath: string): Promise<{failed?: string; replied: boolean; finished: boolean}> {
  const out: {failed?: string; replied: boolean; finished: boolean} = {replied: false, finished: false}
  const {text} = await readLogTail(logPath)
  for (const line of text.split('\n')) {
    const ev = parseLine(line)
    const signal = ev ? healthSignal(ev) : undefined
    if (signal?.kind === 'failed') out.failed ??= signal.reason
    else if (signal?.kind === 'healthy') {
      if (ev?.type === 'result') out.finished = true
      else out.replied = true
    }
  }
  return out
}

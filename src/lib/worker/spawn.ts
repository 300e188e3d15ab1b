import {spawn, type ChildProcess} from 'node:child_process'

import {helperScript} from '../dev-loader.js'
import {FailureError} from '../errors.js'
import {faultPoint, startTimeoutFile, startTimeoutMs} from '../faults.js'
import type {Registry, SidequestRecord} from '../registry/index.js'
import type {SupervisorMessage, WorkerSpec} from './protocol.js'
import type {StartGuard} from '../interrupt.js'
import {judgeHealth} from './health.js'
import {tailOf} from './log.js'
import type {StartWarning} from './stream/index.js'

/** Slurm workers without --wait-start: queued or running, as the scheduler said at submission. */
export type HealthVerdict = 'replied' | 'window' | 'finished' | 'queued' | 'running'

export interface StartedWorker {
  record: SidequestRecord
  /** replied: a real model reply; window: alive and error-free when the window closed; finished: done and successful already. */
  health: HealthVerdict
  /** Retries claude sits out on its own (429, 5xx) and tool calls claude refused, seen during the health window. */
  warnings: StartWarning[]
}

/** A worker that failed at start: the record is marked crashed and the tail shows why. */
export class WorkerStartError extends FailureError {
  constructor(
    message: string,
    override readonly tail: string[],
    readonly record?: SidequestRecord,
  ) {
    super(message, record?.log_path ? `The full log is ${record.log_path}.` : undefined)
  }
}

function supervisorEntry(): {file: string; execArgv: string[]} {
  return helperScript(import.meta.url, 'supervisor')
}

export function nextMessage(child: ChildProcess, types: Array<SupervisorMessage['type']>, timeoutMs: number, timedOut?: () => boolean): Promise<SupervisorMessage | 'gone' | 'timeout'> {
  return new Promise((resolve) => {
    const onMessage = (m: SupervisorMessage) => {
      if (types.includes(m?.type)) finish(m)
    }
    const onExit = () => finish('gone')
    const onError = (error: Error) => finish({type: 'spawn-error', message: `could not start the supervisor: ${error.message}`})
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    const poll = timedOut && setInterval(() => timedOut() && finish('timeout'), 25)
    function finish(value: SupervisorMessage | 'gone' | 'timeout') {
      clearTimeout(timer)
      if (poll) clearInterval(poll)
      child.off('message', onMessage)
      child.off('exit', onExit)
      child.off('error', onError)
      resolve(value)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
    child.once('error', onError)
  })
}

/** A launched worker whose record is on disk; its health is not judged yet. */
export interface LaunchedWorker {
  record: SidequestRecord
  waitHealthy(healthWindowMs: number): Promise<StartedWorker>
}

/** How long a supervisor has to report that claude started and its record is written. */
const START_TIMEOUT_MS = 20_000
/** How long a supervisor given up on has to stop the claude it may have started (it SIGKILLs claude's group after 2 s). */
const ABANDON_GRACE_MS = 3000

/**
 * Give up on a supervisor that never reported a start. It may be stuck after
 * starting claude (writing the record, say): have it stop claude and its
 * process group first, then kill it, so no worker runs on with neither a
 * supervisor nor a record.
 */
async function abandon(child: ChildProcess): Promise<void> {
  try {
    if (child.connected) child.send({type: 'abort', reason: 'dispatch gave up waiting for the worker to start'} satisfies SupervisorMessage)
  } catch {}
  await nextMessage(child, ['exited'], ABANDON_GRACE_MS)
  child.kill('SIGKILL')
}

/**
 * Launch a supervised, detached worker and return once its record is written
 * (so callers can drop their registry lock before the health wait).
 * `registry` is the run's, for marking a worker that fails its health check.
 */
export async function launchWorker(spec: WorkerSpec, registry: Registry, guard?: StartGuard): Promise<LaunchedWorker> {
  const entry = supervisorEntry()
  // NOTE: detached puts the supervisor in its own session: closing the terminal
  // or killing dispatch does not reach it or the worker.
  const child = spawn(process.execPath, [...entry.execArgv, entry.file], {
    cwd: spec.cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    // The worker's own environment: with landing: none it holds no forge token, and
    // the worker can read its parent's through /proc.
    env: spec.env,
  })
  const messages: SupervisorMessage[] = []
  child.on('message', (m: SupervisorMessage) => messages.push(m))
  // NOTE: a failed spawn (missing cwd, EAGAIN) is an 'error' event; unheard, it would crash dispatch.
  let spawnError: Error | undefined
  child.on('error', (error) => (spawnError ??= error))
  const release = () => {
    if (child.connected) child.disconnect()
    child.unref()
  }
  // Interrupted before the spec goes out: this supervisor never starts anything.
  const forget = guard?.undo(() => child.kill('SIGKILL'))
  await faultPoint('after-spawn', spec.stateDir)
  forget?.()
  if (spawnError || child.pid === undefined) {
    guard?.notStarted()
    const why = spawnError?.message ?? 'no process'
    throw new WorkerStartError(`The worker did not start: could not start its supervisor in ${spec.cwd} (${why}).`, [])
  }
  guard?.hold()
  child.send({type: 'start', spec} satisfies SupervisorMessage)

  const first = await nextMessage(child, ['started', 'spawn-error'], startTimeoutMs(START_TIMEOUT_MS), startTimeoutFile())
  if (first !== 'gone' && first !== 'timeout' && first.type === 'started') guard?.started(first.record)
  else guard?.notStarted()
  if (first === 'gone' || first === 'timeout' || first.type !== 'started') {
    if (first === 'timeout') await abandon(child)
    release()
    const why = first === 'gone' ? 'the supervisor died' : first === 'timeout' ? 'the supervisor did not answer' : (first as {message: string}).message
    throw new WorkerStartError(`The worker did not start: ${why}.`, await tailOf(spec.logPath))
  }
  const started = first.record
  return {
    record: started,
    waitHealthy: (healthWindowMs) => judgeHealth(spec, child, messages, started, healthWindowMs, release, registry),
  }
}

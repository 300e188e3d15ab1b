import {spawn, type ChildProcess} from 'node:child_process'
import {open} from 'node:fs/promises'
import {setTimeout as delay} from 'node:timers/promises'

import {helperScript} from '../dev-loader.js'
import {FailureError} from '../errors.js'
import {faultPoint} from '../faults.js'
import {Registry, type SidequestRecord} from '../registry.js'
import type {SupervisorMessage, WorkerSpec} from './protocol.js'
import type {StartGuard} from '../interrupt.js'
import {healthSignal, parseLine, renderTail, type RetryWarning} from './stream.js'

export type HealthVerdict = 'replied' | 'window' | 'finished'

export interface StartedWorker {
  record: SidequestRecord
  /** replied: a real model reply; window: alive and error-free when the window closed; finished: done and successful already. */
  health: HealthVerdict
  /** Retries claude sits out on its own (429, 5xx) seen during the health window. */
  warnings: RetryWarning[]
}

/** A worker that failed at start: the record is marked crashed and the tail shows why. */
export class WorkerStartError extends FailureError {
  constructor(
    message: string,
    readonly tail: string[],
    readonly record?: SidequestRecord,
  ) {
    super(message, record?.log_path ? `The full log is ${record.log_path}.` : undefined)
  }
}

function supervisorEntry(): {file: string; execArgv: string[]} {
  return helperScript(import.meta.url, 'supervisor')
}

/** Read what a log gained since `offset`. */
async function readFrom(file: string, offset: number): Promise<{text: string; offset: number}> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch {
    return {text: '', offset}
  }
  try {
    const {size} = await handle.stat()
    if (size <= offset) return {text: '', offset}
    const buf = Buffer.alloc(size - offset)
    const {bytesRead} = await handle.read(buf, 0, buf.length, offset)
    return {text: buf.subarray(0, bytesRead).toString('utf8'), offset: offset + bytesRead}
  } finally {
    await handle.close()
  }
}

async function tailOf(file: string, n = 15): Promise<string[]> {
  const {text} = await readFrom(file, 0)
  return renderTail(text.slice(-256 * 1024), n)
}

function nextMessage(child: ChildProcess, types: Array<SupervisorMessage['type']>, timeoutMs: number): Promise<SupervisorMessage | 'gone' | 'timeout'> {
  return new Promise((resolve) => {
    const onMessage = (m: SupervisorMessage) => {
      if (types.includes(m?.type)) finish(m)
    }
    const onExit = () => finish('gone')
    const onError = (error: Error) => finish({type: 'spawn-error', message: `could not start the supervisor: ${error.message}`})
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    function finish(value: SupervisorMessage | 'gone' | 'timeout') {
      clearTimeout(timer)
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

/**
 * Launch a supervised, detached worker and return once its record is written
 * (so callers can drop their registry lock before the health wait).
 */
export async function launchWorker(spec: WorkerSpec, guard?: StartGuard): Promise<LaunchedWorker> {
  const entry = supervisorEntry()
  const registry = new Registry({stateDir: spec.stateDir})
  // NOTE: detached puts the supervisor in its own session: closing the terminal
  // or killing dispatch does not reach it or the worker.
  const child = spawn(process.execPath, [...entry.execArgv, entry.file], {
    cwd: spec.cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: process.env,
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

  const first = await nextMessage(child, ['started', 'spawn-error'], 20_000)
  if (first !== 'gone' && first !== 'timeout' && first.type === 'started') guard?.started(first.record)
  else guard?.notStarted()
  if (first === 'gone' || first === 'timeout' || first.type !== 'started') {
    release()
    const why = first === 'gone' ? 'the supervisor died' : first === 'timeout' ? 'the supervisor did not answer' : (first as {message: string}).message
    if (first === 'timeout') child.kill('SIGKILL')
    throw new WorkerStartError(`The worker did not start: ${why}.`, await tailOf(spec.logPath))
  }
  const started = first.record
  return {
    record: started,
    waitHealthy: (healthWindowMs) => judgeHealth(spec, child, messages, started, healthWindowMs, release, registry),
  }
}

/**
 * Wait until the worker is known healthy (SPEC §7): a real model reply, or
 * alive and error-free when the health window closes. A worker that exits
 * inside the window, reports an error result, or retries anything but a 429
 * or a 5xx (a bad key, an unreachable API: no status at all) is stopped,
 * marked crashed, and reported with its log tail. 429/5xx retries are
 * returned as warnings: claude waits those out by itself.
 */
async function judgeHealth(
  spec: WorkerSpec,
  child: ChildProcess,
  messages: SupervisorMessage[],
  started: SidequestRecord,
  healthWindowMs: number,
  release: () => void,
  registry: Registry,
): Promise<StartedWorker> {
  let record = started
  const deadline = Date.now() + healthWindowMs
  let offset = 0
  let pending = ''
  let verdict: HealthVerdict | undefined
  let failure: string | undefined
  let sawSuccess = false
  // One warning per status, with the latest attempt.
  const warnings = new Map<number, RetryWarning>()
  for (;;) {
    const chunk = await readFrom(spec.logPath, offset)
    offset = chunk.offset
    const lines = (pending + chunk.text).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const ev = parseLine(line)
      const signal = ev ? healthSignal(ev) : undefined
      if (signal?.kind === 'failed') failure ??= signal.reason
      else if (signal?.kind === 'retrying') warnings.set(signal.warning.status, signal.warning)
      else if (signal?.kind === 'healthy') {
        if (ev?.type === 'result') sawSuccess = true
        else verdict ??= 'replied'
      }
    }
    if (failure) break
    if (verdict) break
    const exited = messages.find((m) => m.type === 'exited') as Extract<SupervisorMessage, {type: 'exited'}> | undefined
    if (exited) {
      // Drain what the worker wrote last before judging.
      const rest = await readFrom(spec.logPath, offset)
      for (const line of (pending + rest.text).split('\n')) {
        const ev = parseLine(line)
        const signal = ev ? healthSignal(ev) : undefined
        if (signal?.kind === 'failed') failure ??= signal.reason
        else if (signal?.kind === 'retrying') warnings.set(signal.warning.status, signal.warning)
        else if (signal?.kind === 'healthy' && ev?.type === 'result') sawSuccess = true
      }
      if (!failure && exited.exitCode === 0 && sawSuccess) {
        release()
        return {record: exited.record ?? record, health: 'finished', warnings: [...warnings.values()]}
      }
      failure ??= `the worker exited with code ${exited.exitCode} during start-up`
      record = (await registry.update(record.pid, {crashed: true, error: failure})) ?? record
      release()
      throw new WorkerStartError(`The worker for ${record.ref} failed to start: ${failure}.`, await tailOf(spec.logPath), record)
    }
    if (Date.now() >= deadline) {
      verdict = 'window'
      break
    }
    await delay(40)
  }

  if (failure) {
    if (child.connected) child.send({type: 'abort', reason: failure} satisfies SupervisorMessage)
    const already = messages.find((m) => m.type === 'exited')
    const end = already ?? (child.connected ? await nextMessage(child, ['exited'], 10_000) : 'gone')
    const ended = end !== 'gone' && end !== 'timeout' && end.type === 'exited' ? end.record : undefined
    // The worker may have exited on its own before the abort arrived: mark the crash either way.
    record = (await registry.update(record.pid, {crashed: true, error: failure, ...(ended?.ended_at ? {} : {ended_at: new Date().toISOString()})})) ?? record
    release()
    throw new WorkerStartError(`The worker for ${record.ref} failed to start: ${failure}.`, await tailOf(spec.logPath), record)
  }
  release()
  return {record, health: verdict!, warnings: [...warnings.values()]}
}

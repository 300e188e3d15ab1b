import type {ChildProcess} from 'node:child_process'
import {setTimeout as delay} from 'node:timers/promises'

import {healthWindowClosed} from '../faults.js'
import type {Registry, SidequestRecord} from '../registry/index.js'
import {readFrom, tailOf} from './log.js'
import type {SupervisorMessage, WorkerSpec} from './protocol.js'
import {nextMessage, WorkerStartError, type HealthVerdict, type StartedWorker} from './spawn.js'
import {denialWarning, hasToolResult, healthSignal, parseLine, refusals, toolUses, type RetryWarning, type StartWarning, type StreamEvent} from './stream/index.js'

/**
 * The tool calls refused so far, as a warning. A reply is not the end of
 * the health window: the window waits on for the first tool result, so a
 * worker whose first calls are refused (a permission mode its account lacks)
 * is not announced as started without a word.
 */
class RefusalWatch {
  private readonly names = new Map<string, string>()
  private count = 0
  private readonly tools: string[] = []
  private first = ''
  sawToolResult = false

  constructor(private readonly permissionMode?: string) {}

  see(ev: StreamEvent): void {
    for (const [id, name] of toolUses(ev)) this.names.set(id, name)
    if (hasToolResult(ev)) this.sawToolResult = true
    for (const r of refusals(ev)) {
      this.count++
      const tool = this.names.get(r.id) ?? 'unknown'
      if (!this.tools.includes(tool)) this.tools.push(tool)
      this.first ||= r.text
    }
  }

  warning(): StartWarning[] {
    return this.count > 0 ? [denialWarning(this.count, this.tools, this.first, this.permissionMode)] : []
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
export async function judgeHealth(
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
  const mode = spec.args.indexOf('--permission-mode')
  const refused = new RefusalWatch(mode >= 0 ? spec.args[mode + 1] : undefined)
  const all = () => [...warnings.values(), ...refused.warning()]
  for (;;) {
    // Decided before the read, so whatever the worker wrote before the window closed is judged.
    const closed = healthWindowClosed(deadline)
    const chunk = await readFrom(spec.logPath, offset)
    offset = chunk.offset
    const lines = (pending + chunk.text).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const ev = parseLine(line)
      if (ev) refused.see(ev)
      const signal = ev ? healthSignal(ev) : undefined
      if (signal?.kind === 'failed') failure ??= signal.reason
      else if (signal?.kind === 'retrying') warnings.set(signal.warning.status, signal.warning)
      else if (signal?.kind === 'healthy') {
        if (ev?.type === 'result') sawSuccess = true
        else verdict ??= 'replied'
      }
    }
    if (failure) break
    // A reply proves the model answers; the first tool result says whether the worker may act.
    if (verdict && refused.sawToolResult) break
    const exited = messages.find((m) => m.type === 'exited') as Extract<SupervisorMessage, {type: 'exited'}> | undefined
    if (exited) {
      // Drain what the worker wrote last before judging.
      const rest = await readFrom(spec.logPath, offset)
      for (const line of (pending + rest.text).split('\n')) {
        const ev = parseLine(line)
        if (ev) refused.see(ev)
        const signal = ev ? healthSignal(ev) : undefined
        if (signal?.kind === 'failed') failure ??= signal.reason
        else if (signal?.kind === 'retrying') warnings.set(signal.warning.status, signal.warning)
        else if (signal?.kind === 'healthy' && ev?.type === 'result') sawSuccess = true
      }
      // It had replied (the start was good) and ended while the window waited for a tool result: status tells the rest.
      if (!failure && verdict === 'replied') {
        release()
        return {record: exited.record ?? record, health: 'replied', warnings: all()}
      }
      if (!failure && exited.exitCode === 0 && sawSuccess) {
        release()
        return {record: exited.record ?? record, health: 'finished', warnings: all()}
      }
      failure ??= `the worker exited with code ${exited.exitCode} during start-up`
      record = (await registry.update(record.pid, {crashed: true, error: failure})) ?? record
      release()
      throw new WorkerStartError(`The worker for ${record.ref} failed to start: ${failure}.`, await tailOf(spec.logPath), record)
    }
    if (closed) {
      verdict ??= 'window'
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
  return {record, health: verdict!, warnings: all()}
}

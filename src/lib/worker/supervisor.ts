/**
 * The supervisor: a small detached node process that owns one claude worker.
 * dispatch starts it (own session, so it survives the terminal closing),
 * sends it the spec over IPC, and may disconnect at any time. The supervisor
 * writes the registry record as soon as claude has a pid, and the end of the
 * run (exit code, cost, turns, session id) when claude exits.
 */
import {spawn} from 'node:child_process'
import {appendFileSync, closeSync, openSync, readFileSync} from 'node:fs'
import {setTimeout as delay} from 'node:timers/promises'

import {notify} from '../notify.js'
import {pullRequestUrl} from '../outcome/finish.js'
import {processStartTime} from '../proc.js'
import {Registry, type SidequestRecord} from '../registry/index.js'
import type {SupervisorMessage, WorkerSpec} from './protocol.js'
import {exitCodeOf, exitSignalOf} from './exit.js'
import {summarise} from './stream/index.js'

function send(message: SupervisorMessage): void {
  if (process.connected && process.send) {
    try {
      process.send(message)
    } catch {
      // dispatch went away; the record is the source of truth.
    }
  }
}

/**
 * Hand claude its prompt on stdin and close it (`claude -p` reads to EOF).
 * NOTE: a worker that exits without reading makes the write fail with EPIPE;
 * that must not take the supervisor down, the exit handler reports the worker.
 */
function writePrompt(stdin: NodeJS.WritableStream, prompt: string): void {
  stdin.on('error', () => {})
  stdin.end(prompt)
}

/**
 * Write the end of the run into the record, retrying for about half a minute
 * (a disk that filled up may be freed); when it never works, say so at the
 * end of the worker's log, where status and the operator look.
 */
async function recordEnd(registry: Registry, pid: number, patch: Partial<SidequestRecord>, logPath: string): Promise<SidequestRecord | undefined> {
  let lastError: unknown
  for (const wait of [0, 250, 500, 1000, 2000, 4000, 8000, 15_000]) {
    if (wait) await delay(wait)
    try {
      return await registry.update(pid, patch)
    } catch (error) {
      lastError = error
    }
  }
  try {
    // Plain text: status shows lines that are not stream events as they are.
    appendFileSync(logPath, `dispatch: could not record the end of this run (exit code ${patch.exit_code}): ${(lastError as Error)?.message}\n`)
  } catch {}
  return undefined
}

async function run(spec: WorkerSpec): Promise<void> {
  const registry = new Registry({stateDir: spec.stateDir})
  let logFd: number
  try {
    logFd = openSync(spec.logPath, 'a', 0o600)
  } catch (error) {
    send({type: 'spawn-error', message: `could not open the log ${spec.logPath}: ${(error as Error).message}`})
    process.exit(1)
  }
  // NOTE: detached makes claude the leader of its own process group, so `dispatch stop`
  // can kill it with every tool process it started, and never this supervisor.
  const child = spawn(spec.claudeBin, spec.args, {cwd: spec.cwd, env: spec.env, stdio: ['pipe', logFd, logFd], detached: true})
  closeSync(logFd)
  writePrompt(child.stdin!, spec.prompt)

  let abortReason: string | undefined
  let killTimer: NodeJS.Timeout | undefined
  process.on('message', (msg: SupervisorMessage) => {
    if (msg?.type === 'abort' && child.exitCode === null) {
      abortReason = msg.reason
      child.kill('SIGTERM')
      killTimer = setTimeout(() => {
        // Its whole process group: tool processes claude started go with it.
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          child.kill('SIGKILL')
        }
      }, 2000)
    }
  })

  child.once('error', (error) => {
    send({type: 'spawn-error', message: `could not start ${spec.claudeBin}: ${error.message}`})
    process.exit(1)
  })

  let recorded: Promise<boolean> = Promise.resolve(false)
  child.once('spawn', () => {
    const pid = child.pid!
    const record = {...spec.record, pid, pid_start_time: processStartTime(pid) ?? null, supervisor_pid: process.pid}
    recorded = registry.write(record).then(
      () => {
        send({type: 'started', pid, record})
        return true
      },
      (error: Error) => {
        abortReason = `could not write the registry record: ${error.message}`
        child.kill('SIGKILL')
        send({type: 'spawn-error', message: abortReason})
        return false
      },
    )
  })

  child.once('exit', async (code, signal) => {
    if (killTimer) clearTimeout(killTimer)
    // NOTE: a worker can exit before its record is on disk; finish that write first.
    await recorded
    const exitCode = exitCodeOf(code, signal)
    let summary = summarise([])
    try {
      summary = summarise(readFileSync(spec.logPath, 'utf8').split('\n'))
    } catch {}
    const patch = {
      ended_at: new Date().toISOString(),
      exit_code: exitCode,
      exit_signal: exitSignalOf(code, signal),
      cost_usd: summary.costUsd,
      num_turns: summary.numTurns,
      claude_session_id: summary.sessionId,
      ...(abortReason ? {crashed: true, error: abortReason} : {}),
    }
    const updated = child.pid ? await recordEnd(registry, child.pid, patch, spec.logPath) : undefined
    send({type: 'exited', exitCode, record: updated})
    if (spec.notify && updated && !abortReason) {
      const notifies = Boolean(spec.notify.command || spec.notify.ntfy || spec.notify.desktop)
      // Bounded by the forge timeout; no answer just leaves the URL out.
      const prUrl = notifies && spec.forges ? await pullRequestUrl(spec.forges, updated, process.env) : undefined
      await notify(
        spec.notify,
        {event: 'finished', mode: updated.mode, ref: updated.ref, title: updated.title, url: updated.url, cwd: updated.cwd, pid: updated.pid, exit_code: exitCode, ...(prUrl ? {pr_url: prUrl} : {})},
        process.env,
        () => {},
      ).catch(() => {})
    }
    // Give dispatch a moment to read the exit message, then go.
    if (process.connected) {
      const done = setTimeout(() => process.exit(0), 5000)
      process.once('disconnect', () => {
        clearTimeout(done)
        process.exit(0)
      })
    } else {
      process.exit(0)
    }
  })
}

// NOTE: the supervisor has no terminal; ignore hang-ups so nothing upstream can take it down.
process.on('SIGHUP', () => {})
let started = false
process.once('message', (msg: SupervisorMessage) => {
  if (msg?.type !== 'start') process.exit(1)
  started = true
  void run(msg.spec)
})
// NOTE: if dispatch dies before sending the spec, nobody ever will: don't linger.
process.once('disconnect', () => {
  if (!started) process.exit(1)
})

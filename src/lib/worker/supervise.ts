/**
 * What a supervisor does for one worker, wherever it runs: the local
 * supervisor process (supervisor.ts) and a Slurm job (runners/slurm-job.ts).
 */
import {spawn} from 'node:child_process'
import {appendFileSync, closeSync, openSync, readFileSync} from 'node:fs'
import {setTimeout as delay} from 'node:timers/promises'

import {faultPoint, faultTimeScale} from '../faults.js'
import {notify} from '../notify.js'
import {pullRequestUrl} from '../outcome/finish.js'
import {processStartTime} from '../proc.js'
import {recordKey, type Registry, type SidequestRecord} from '../registry/index.js'
import {sandboxCommand, type SandboxedCommand} from '../sandbox/launch.js'
import type {SupervisorMessage, WorkerSpec} from './protocol.js'
import {exitCodeOf, exitSignalOf} from './exit.js'
import {summarise} from './stream/index.js'

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
async function recordEnd(registry: Registry, key: number | string, patch: Partial<SidequestRecord>, logPath: string): Promise<SidequestRecord | undefined> {
  let lastError: unknown
  for (const wait of [0, 250, 500, 1000, 2000, 4000, 8000, 15_000]) {
    if (wait) await delay(wait * faultTimeScale())
    try {
      return await registry.update(key, patch)
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

export interface SuperviseHooks {
  /** The process's one registry (its entry point makes it). */
  registry: Registry
  /** Tell whoever started the worker (IPC for the local supervisor; nothing for a Slurm job). */
  send(message: SupervisorMessage): void
  /** The environment the notifiers run with (the supervisor's own, which is the worker's). */
  env: NodeJS.ProcessEnv
  /** Wire how an abort arrives (an IPC message locally). */
  onAbort?(abort: (reason: string) => void): void
  /** Write the first record (default: a new file; a Slurm job merges with what dispatch wrote). */
  writeStart?(registry: Registry, record: SidequestRecord): Promise<SidequestRecord>
  /** claude has a pid (a Slurm job forwards the scheduler's signals to it). */
  onSpawn?(pid: number): void
  /** After the end is recorded (default: linger briefly for dispatch to read the exit message, then exit 0). */
  done?(exitCode: number): void
}

/**
 * Run claude for one spec: write the record as soon as claude has a pid,
 * its output to the log, and the end of the run (exit code, cost, turns,
 * session id) when it exits.
 */
export async function supervise(spec: WorkerSpec, hooks: SuperviseHooks): Promise<void> {
  const {send, registry} = hooks
  let logFd: number
  try {
    logFd = openSync(spec.logPath, 'a', 0o600)
  } catch (error) {
    send({type: 'spawn-error', message: `could not open the log ${spec.logPath}: ${(error as Error).message}`})
    process.exit(1)
  }
  // Sandboxed: bwrap runs claude, and the pid on record is bwrap's; it ends with claude's exit code.
  let sandbox: SandboxedCommand | undefined
  try {
    // A refused connection is a line in the worker's log, where status shows it.
    const denied = (line: string) => appendFileSync(spec.logPath, `${line}\n`)
    sandbox = spec.sandbox ? await sandboxCommand(spec.sandbox, spec.claudeBin, spec.args, spec.env, denied) : undefined
  } catch (error) {
    closeSync(logFd)
    send({type: 'spawn-error', message: `could not start the sandbox: ${(error as Error).message}`})
    process.exit(1)
  }
  // NOTE: detached makes claude (or bwrap) the leader of its own process group, so `dispatch stop`
  // can kill it with every tool process it started, and never this supervisor.
  const child = spawn(sandbox?.file ?? spec.claudeBin, sandbox?.args ?? spec.args, {cwd: spec.cwd, env: spec.env, stdio: ['pipe', logFd, logFd], detached: true})
  closeSync(logFd)
  writePrompt(child.stdin!, spec.prompt)

  let abortReason: string | undefined
  let killTimer: NodeJS.Timeout | undefined
  hooks.onAbort?.((reason) => {
    if (child.exitCode === null) {
      abortReason = reason
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

  child.once('error', async (error) => {
    await sandbox?.close()
    send({type: 'spawn-error', message: `could not start ${sandbox?.file ?? spec.claudeBin}: ${error.message}`})
    process.exit(1)
  })

  let recorded: Promise<boolean> = Promise.resolve(false)
  child.once('spawn', () => {
    const pid = child.pid!
    hooks.onSpawn?.(pid)
    const first = {...spec.record, pid, pid_start_time: processStartTime(pid) ?? null, supervisor_pid: process.pid}
    const write = hooks.writeStart ?? ((r: Registry, rec: SidequestRecord) => r.write(rec).then(() => rec))
    recorded = faultPoint('supervisor-before-record', spec.stateDir).then(() => write(registry, first)).then(
      (record) => {
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
    await sandbox?.close()
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
      permission_denials: summary.permissionDenials,
      claude_session_id: summary.sessionId,
      ...(abortReason ? {crashed: true, error: abortReason} : {}),
    }
    const updated = child.pid ? await recordEnd(registry, recordKey({...spec.record, pid: child.pid}), patch, spec.logPath) : undefined
    send({type: 'exited', exitCode, record: updated})
    if (spec.notify && updated && !abortReason) {
      const notifies = Boolean(spec.notify.command || spec.notify.ntfy || spec.notify.desktop)
      // Bounded by the forge timeout; no answer just leaves the URL out.
      const prUrl = notifies && spec.forges ? await pullRequestUrl(spec.forges, updated, hooks.env) : undefined
      await notify(
        spec.notify,
        {event: 'finished', mode: updated.mode, ref: updated.ref, title: updated.title, url: updated.url, cwd: updated.cwd, pid: updated.pid, exit_code: exitCode, ...(prUrl ? {pr_url: prUrl} : {}), ...(updated.permission_denials?.count ? {permission_denials: updated.permission_denials} : {})},
        hooks.env,
        () => {},
      ).catch(() => {})
    }
    if (hooks.done) return hooks.done(exitCode)
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


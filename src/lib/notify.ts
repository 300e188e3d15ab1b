import {spawn} from 'node:child_process'

import {NOTIFY_FIELDS} from './command-template.js'
import type {Config} from './config/index.js'
import {errorMessage} from './errors.js'
import {which} from './which.js'

/** What notifiers receive (SPEC §7). */
export interface NotifyEvent {
  /** given_up: dispatch watch stopped trying (`reason` says why). */
  event: 'dispatched' | 'finished' | 'given_up'
  mode: string
  ref: string
  title: string
  url: string
  cwd: string
  pid: number
  exit_code?: number | null
  /** On finish: the pull request whose head is the worker's branch, when there is one. */
  pr_url?: string
  /** On finish, when claude refused any tool call: how many, and which tools. */
  permission_denials?: {count: number; tools: string[]}
  /** given_up: why watch gave the issue up. */
  reason?: string
}

export type NotifyConfig = Config['notify']

/** One line for ntfy and desktop notifications. Pure. */
function notifyLine(e: NotifyEvent): string {
  const what = e.event === 'dispatched' ? `started (${e.mode}, pid ${e.pid})` : e.event === 'given_up' ? `given up by dispatch watch: ${e.reason ?? 'no reason given'}` : `finished with exit code ${e.exit_code ?? 'unknown'}${e.pr_url ? ` (pull request ${e.pr_url})` : ''}${refusedText(e)}`
  return `${e.ref} ${what}: ${e.title}`.replace(/[\r\n]+/g, ' ')
}

/** ", but claude refused 3 tool calls (Bash, Write)", or nothing. Pure. */
function refusedText(e: NotifyEvent): string {
  const d = e.permission_denials
  return d && d.count > 0 ? `, but claude refused ${d.count} tool call${d.count === 1 ? '' : 's'} (${d.tools.join(', ')})` : ''
}

/** DISPATCH_EVENT, DISPATCH_TITLE, … (and DISPATCH_PERMISSION_DENIALS, DISPATCH_DENIED_TOOLS) for notify.command. Pure. */
function notifyEnv(e: NotifyEvent): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of NOTIFY_FIELDS) {
    const value = e[name]
    if (value !== undefined && value !== null) out[`DISPATCH_${name.toUpperCase()}`] = String(value)
  }
  if (e.permission_denials) {
    out.DISPATCH_PERMISSION_DENIALS = String(e.permission_denials.count)
    out.DISPATCH_DENIED_TOOLS = e.permission_denials.tools.join(',')
  }
  return out
}

function runBounded(cmd: string, args: string[], input: string | undefined, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // Own process group so a hung notifier (and anything it started) can be killed whole.
    const child = spawn(cmd, args, {stdio: ['pipe', 'ignore', 'pipe'], env, detached: true})
    let stderr = ''
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
      reject(new Error(`timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-500)
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else reject(new Error(`exited with ${code}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`))
    })
    child.stdin!.on('error', () => {})
    child.stdin!.end(input ?? '')
  })
}

/**
 * Tell the operator's notifiers about an event. Every notifier is bounded in
 * time and a failure is only a warning: notification never fails a dispatch.
 */
export async function notify(config: NotifyConfig, event: NotifyEvent, env: NodeJS.ProcessEnv, warn: (m: string) => void): Promise<void> {
  const jobs: Array<Promise<void>> = []
  const timeoutMs = config.timeoutMs ?? 5000
  if (config.command) {
    jobs.push(
      // NOTE: the command is the operator's shell text; event values reach it only as data (stdin, variables).
      runBounded('/bin/sh', ['-c', config.command], JSON.stringify(event) + '\n', timeoutMs, {...env, ...notifyEnv(event)}).catch((error) =>
        warn(`warning: notify.command failed: ${errorMessage(error)}`),
      ),
    )
  }
  if (config.ntfy) {
    const url = config.ntfy
    jobs.push(
      fetch(url, {
        method: 'POST',
        body: notifyLine(event),
        headers: {title: `dispatch: ${event.ref}`.replace(/[^\x20-\x7e]/g, '?'), tags: event.event === 'finished' ? 'checkered_flag' : 'rocket'},
        signal: AbortSignal.timeout(timeoutMs),
      })
        .then(async (res) => {
          await res.body?.cancel().catch(() => {})
          if (!res.ok) throw new Error(`HTTP ${res.status}`)
        })
        .catch((error) => warn(`warning: notify.ntfy (${new URL(url).host}) failed: ${errorMessage(error)}`)),
    )
  }
  if (config.desktop) {
    if (which('notify-send', env)) {
      jobs.push(
        runBounded('notify-send', ['dispatch', notifyLine(event)], undefined, timeoutMs, env).catch((error) =>
          warn(`warning: notify-send failed: ${errorMessage(error)}`),
        ),
      )
    } else {
      warn('warning: notify.desktop is on but notify-send is not installed')
    }
  }
  await Promise.all(jobs)
}

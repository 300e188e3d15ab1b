/** Running `dispatch watch` in tests: one pass at a time, its --json events read back. */
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {runCli, type CliResult, type Sandbox} from './helpers.js'

export type WatchEvent = {ts: string; ref: string | null; event: string} & Record<string, any>

export function eventsOf(res: CliResult): WatchEvent[] {
  return res.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as WatchEvent)
}

/** The JSON lines a running `watch --json` printed so far. */
export const linesOf = (cli: {stdout(): string}): WatchEvent[] =>
  cli
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as WatchEvent)

/** One `watch --once --json` pass; fails the test on an exit code other than `code`. */
export async function pass(env: NodeJS.ProcessEnv, args: string[] = [], code = 0): Promise<WatchEvent[]> {
  const res = await runCli(['watch', '--once', '--json', ...args], {env, timeoutMs: 150_000})
  if (res.code !== code) throw new Error(`watch --once exited ${res.code}, not ${code}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`)
  return eventsOf(res)
}

/** Passes until one says `event` for `ref` (a retry waits out its back-off this way); all their events. */
export async function passUntil(env: NodeJS.ProcessEnv, ref: string, event: string, args: string[] = [], timeoutMs = 120_000): Promise<WatchEvent[]> {
  const deadline = Date.now() + timeoutMs
  const seen: WatchEvent[] = []
  for (;;) {
    const events = await pass(env, args)
    seen.push(...events)
    if (events.some((e) => e.ref === ref && e.event === event)) return seen
    if (Date.now() > deadline) throw new Error(`no ${event} for ${ref} within ${timeoutMs} ms; events: ${JSON.stringify(seen.map((e) => [e.ref, e.event, e.reason ?? e.end ?? '']))}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

export const of = (events: WatchEvent[], event: string, ref?: string) => events.filter((e) => e.event === event && (ref === undefined || e.ref === ref))

/** The worktrees of acme/api in the sandbox. */
export function worktrees(sb: Sandbox): string[] {
  const dir = path.join(sb.worktreeRoot, 'acme', 'api')
  return existsSync(dir) ? readdirSync(dir).sort() : []
}

/**
 * What the operator sees. `--json`: one JSON object per line for every
 * transition, `{ts, ref, event, ...}` (docs/watch.md lists them). On a
 * terminal: one live line per issue and a tally, redrawn in place, with
 * given-up issues and errors printed above it. Piped without --json: the
 * transitions as plain lines, and the tally after each pass.
 */
import {usd} from '../budget.js'
import type {IssueState} from './decide.js'

export type WatchEventName = 'pass' | 'started' | 'resumed' | 'waiting' | 'stalled' | 'stopped' | 'ended' | 'pull-request' | 'merged' | 'closed' | 'given-up' | 'error'

export type WatchEvent = {ref: string | null; event: WatchEventName} & Record<string, unknown>

export interface IssueRow {
  ref: string
  state: IssueState
  attempt: number
  round: number
  worker: string | null
  pullRequest: string | null
  costUsd: number
  note?: string
}

export interface Tally {
  listed: number
  running: number
  waiting: number
  given_up: number
  done: number
  spent_today_usd: number | null
}

export interface Reporter {
  event(e: WatchEvent): void
  board(rows: readonly IssueRow[], tally: Tally): void
  close(): void
}

export function jsonReporter(write: (s: string) => void, now: () => Date): Reporter {
  return {
    event: (e) => write(JSON.stringify({ts: now().toISOString(), ...e}) + '\n'),
    board: () => {},
    close: () => {},
  }
}

export function describeEvent(e: WatchEvent): string {
  const d = {...e} as Record<string, unknown>
  const ref = e.ref ?? 'watch'
  switch (e.event) {
    case 'started':
      return `${ref}: started (${d.worker})`
    case 'resumed':
      return `${ref}: resumed (${d.reason}, attempt ${d.attempt}, round ${d.round}, ${d.worker})`
    case 'waiting':
      return `${ref}: waiting (${d.reason}${d.until ? ` until ${d.until}` : ''})${d.detail ? `: ${d.detail}` : ''}`
    case 'stalled':
      return `${ref}: stalled, silent for ${d.silent_minutes} min; stopped to retry`
    case 'stopped':
      return e.ref ? `${ref}: worker stopped (${d.reason}); its worktree is kept` : String(d.message)
    case 'ended':
      return `${ref}: run ended (${d.end}${d.detail ? `: ${d.detail}` : ''})`
    case 'pull-request':
      return `${ref}: PR #${d.number} ${d.state}${d.checks ? `, checks ${d.checks}` : ''}`
    case 'merged':
      return `${ref}: PR #${d.number} merged${d.reaped ? '; worktree reaped' : ''}`
    case 'closed':
      return `${ref}: done (${d.detail ?? 'closed'})`
    case 'given-up':
      return `${ref}: given up: ${d.reason}`
    case 'error':
      return `${ref}: error: ${d.message}`
    case 'pass':
      return tallyLine(d as unknown as Tally)
  }
}

export function tallyLine(t: Tally): string {
  return `${t.listed} listed · ${t.running} running · ${t.waiting} waiting · ${t.given_up} given up · ${t.done} done${t.spent_today_usd === null ? '' : ` · ${usd(t.spent_today_usd)} today`}`
}

export function rowLine(r: IssueRow, width: number): string {
  const cells = [r.ref.padEnd(24), r.state.padEnd(14), `a${r.attempt}/r${r.round}`.padEnd(7), (r.worker ?? '—').padEnd(14), (r.pullRequest ?? '—').padEnd(10), usd(r.costUsd)]
  const line = cells.join(' ') + (r.note ? `  ${r.note}` : '')
  return line.length > width ? line.slice(0, width - 1) + '…' : line
}

export function plainReporter(write: (s: string) => void): Reporter {
  return {
    event: (e) => {
      // A merged or closed pull request has its own line (merged, closed) right after.
      if (e.event === 'pass' || (e.event === 'pull-request' && (e.state === 'merged' || e.state === 'closed'))) return
      write(describeEvent(e) + '\n')
    },
    board: (_rows, tally) => write(tallyLine(tally) + '\n'),
    close: () => {},
  }
}

/** The live board: redrawn in place below the events printed so far. */
export function terminalReporter(write: (s: string) => void, width: () => number): Reporter {
  let drawn = 0
  let last: {rows: readonly IssueRow[]; tally: Tally} | undefined
  const clear = () => {
    if (drawn > 0) write(`\x1b[${drawn}A\x1b[J`)
    drawn = 0
  }
  const draw = () => {
    if (!last) return
    const lines = [...last.rows.map((r) => rowLine(r, width())), tallyLine(last.tally)]
    write(lines.join('\n') + '\n')
    drawn = lines.length
  }
  return {
    event: (e) => {
      // Transitions worth keeping in the scrollback; the rest the board shows.
      if (!['given-up', 'error', 'merged', 'closed', 'stalled', 'stopped'].includes(e.event)) return
      // The loop's own end goes below the board, which stays as it was last drawn.
      if (e.event === 'stopped' && e.ref === null) return void write(describeEvent(e) + '\n')
      clear()
      write(describeEvent(e) + '\n')
      draw()
    },
    board: (rows, tally) => {
      clear()
      last = {rows, tally}
      draw()
    },
    close: () => {},
  }
}

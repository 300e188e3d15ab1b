/**
 * The one renderer of worker rows. `status` is the human view (newest first,
 * with cost and last activity); `sidequests list` the machine-friendly view of
 * the same rows (oldest first, branch and claims). Pure: data and terminal
 * facts in, text out.
 */
import {duration, relativeTime, relativeTimeInWords, table} from '../format.js'
import type {WorkerOutcome} from '../outcome/types.js'
import type {PermissionDenials, SidequestRecord, WorkerState} from '../registry/index.js'
import {shellQuote} from '../shell.js'
import {chainLabel, toEntry, type StatusEntry} from '../status.js'
import {inertLine, paint, truncate} from '../terminal.js'

import type {Rendered, TerminalFacts} from './facts.js'

export type {Rendered, TerminalFacts} from './facts.js'

/**
 * A row: the entry, plus when its log last grew (ISO), and what came of its
 * branch (null for a running worker), when those were looked up.
 */
export type WorkerRow = StatusEntry & {last_activity?: string | null; outcome?: WorkerOutcome | null; attempts?: number}

export function stateLabel(e: {state: WorkerState; exit_code?: number | null; exit_signal?: string | null; job_state?: string | null; job_reason?: string | null; permission_denials?: PermissionDenials | null}): string {
  // "Done" is not done when claude refused what the worker tried to do: say so beside the exit code.
  const refused = e.permission_denials?.count ? `, ${e.permission_denials.count} REFUSED` : ''
  const base = baseLabel(e) + refused
  // How the scheduler ended a Slurm job says more than the signal it sent (TIMEOUT, NODE_FAIL, OUT_OF_MEMORY…).
  if (e.state !== 'queued' && e.state !== 'running' && e.job_state && !['COMPLETED', 'FAILED'].includes(e.job_state)) return `${base} ${e.job_state}`
  return base
}

function baseLabel(e: {state: WorkerState; exit_code?: number | null; exit_signal?: string | null; job_reason?: string | null}): string {
  switch (e.state) {
    case 'waiting':
      return 'WAITING (print line not pasted yet)'
    case 'expired':
      return 'EXPIRED (print line never pasted)'
    case 'queued':
      return e.job_reason ? `QUEUED (${e.job_reason})` : 'QUEUED'
    case 'running':
      return 'RUNNING'
    case 'exited':
      return `EXITED ${e.exit_code ?? '?'}`
    case 'stopped':
      return 'STOPPED'
    case 'killed':
      return `KILLED (${e.exit_signal ?? '?'})`
    case 'crashed':
      return 'CRASHED'
    default:
      return 'UNKNOWN'
  }
}

interface Column {
  header: string
  cell(r: WorkerRow, f: TerminalFacts): string
}

/** A time as people read it on a terminal, as ISO 8601 for programs. */
const when = (iso: string | null | undefined, f: TerminalFacts) => (!iso ? '-' : f.tty ? relativeTime(iso, f.now) : iso)

const COLUMNS = {
  state: {header: 'STATE', cell: (r) => stateLabel(r)},
  pid: {header: 'PID', cell: (r) => (r.runner === 'slurm' ? `slurm:${r.job_id}` : r.pid === 0 ? '-' : String(r.pid))},
  ref: {header: 'REF', cell: (r) => r.ref},
  // The bare status list folds an issue's runs into one row: "acme/api#6 ×3" is its third.
  // A run dispatch watch started adds where it stands in the issue's chain: "acme/api#6 ×3 a2/r1".
  refRuns: {header: 'REF', cell: (r) => [(r.attempts ?? 1) > 1 ? `${r.ref} ×${r.attempts}` : r.ref, chainLabel(r)].filter(Boolean).join(' ')},
  attempts: {header: 'ATTEMPTS', cell: (r) => String(r.attempts ?? 1)},
  chain: {header: 'RUN', cell: (r) => chainLabel(r) ?? '-'},
  mode: {header: 'MODE', cell: (r) => r.mode},
  started: {header: 'STARTED', cell: (r, f) => when(r.started_at, f)},
  activity: {header: 'LAST ACTIVITY', cell: (r, f) => when(r.last_activity, f)},
  outcome: {header: 'OUTCOME', cell: (r) => (r.outcome ? r.outcome.summary : '-')},
  cost: {header: 'COST', cell: (r) => (typeof r.cost_usd === 'number' ? `$${r.cost_usd.toFixed(2)}` : '-')},
  branch: {header: 'BRANCH', cell: (r) => r.branch},
  claims: {header: 'CLAIMS', cell: (r) => (r.paths_claimed.length > 0 ? r.paths_claimed.join(',') : '-')},
  title: {header: 'TITLE', cell: (r) => r.title},
} satisfies Record<string, Column>

function render(rows: readonly WorkerRow[], columns: Column[], f: TerminalFacts): string {
  return table(columns.map((c) => c.header), rows.map((r) => columns.map((c) => c.cell(r, f))), {tty: f.tty, width: f.width}) + '\n'
}

/** The least a title keeps on a terminal before other columns give way; below it a title is no longer readable. */
const TITLE_MIN = 28
/** OUTCOME is cut to no less than this ("PR #1234 op…"). */
const OUTCOME_MIN = 12

/**
 * `status` on a terminal: the title gets the width the other columns leave.
 * When that is less than TITLE_MIN, LAST ACTIVITY, MODE and COST go (in that
 * order; `status REF` shows them all), then OUTCOME is cut. Pure.
 */
export function fitStatusColumns(rows: readonly WorkerRow[], f: TerminalFacts): {columns: Column[]; cut: Map<Column, number>} {
  const c = COLUMNS
  const columns: Column[] = [c.state, c.pid, c.refRuns, c.mode, c.started, c.activity, c.cost, c.outcome, c.title]
  const cut = new Map<Column, number>()
  const width = f.width ?? 120
  const cellWidth = (col: Column) => Math.max(col.header.length, ...rows.map((r) => [...inertLine(col.cell(r, f))].length))
  const used = () => columns.slice(0, -1).reduce((sum, col) => sum + Math.min(cellWidth(col), cut.get(col) ?? Infinity) + 2, 0)
  const titleWants = Math.min(TITLE_MIN, cellWidth(c.title))
  for (const drop of [c.activity, c.mode, c.cost]) if (width - used() < titleWants) columns.splice(columns.indexOf(drop), 1)
  const over = used() + titleWants - width
  if (over > 0) cut.set(c.outcome, Math.max(OUTCOME_MIN, cellWidth(c.outcome) - over))
  return {columns, cut}
}

/**
 * What an empty `status` says: that the window is empty, and the most recent
 * worker outside it with when it started, so "nothing" does not read as
 * "never" (as the original Go tool did).
 */
export function emptyStatus(all: boolean, window: {since: string; latest?: {ref: string; started_at: string}}, now: Date): string {
  const start = 'Start one with: dispatch headless owner/repo#N'
  if (!window.latest) return `no workers recorded yet. ${start}\n`
  if (all) return 'no workers recorded\n'
  const {ref, started_at: at} = window.latest
  return `no workers running or started in the last ${window.since}; most recent: ${inertLine(ref)}, ${relativeTimeInWords(at, now)} (see it: dispatch status ${shellQuote(ref)}, or every one: dispatch status --all)\n`
}

/** `status`: newest first, what each worker is doing and what it cost. */
export function renderStatusList(rows: readonly WorkerRow[], all: boolean, f: TerminalFacts, window: {since: string; latest?: {ref: string; started_at: string}} = {since: '1h'}): Rendered {
  if (rows.length === 0) return {stdout: '', stderr: emptyStatus(all, window, f.now)}
  const c = COLUMNS
  // Piped: every column, whole, attempts last (a column added at the end leaves the others where scripts read them).
  // RUN (a2/r1) only when dispatch watch started one of the rows: without watch the columns stay as they were.
  if (!f.tty) return {stdout: render(rows, [c.state, c.pid, c.ref, c.mode, c.started, c.activity, c.cost, c.outcome, c.title, c.attempts, ...(rows.some((r) => chainLabel(r)) ? [c.chain] : [])], f), stderr: ''}
  const {columns, cut} = fitStatusColumns(rows, f)
  const fitted = columns.map((col): Column => (cut.has(col) ? {header: col.header, cell: (r, tf) => truncate(inertLine(col.cell(r, tf)), cut.get(col)!)} : col))
  return {stdout: render(rows, fitted, f), stderr: ''}
}

/** `sidequests list`: oldest first, who claims what. */
function renderSidequestList(rows: readonly WorkerRow[], all: boolean, f: TerminalFacts): Rendered {
  if (rows.length === 0) return {stdout: '', stderr: all ? 'no sidequests recorded\n' : 'no active sidequests\n'}
  const c = COLUMNS
  return {stdout: render(rows, [c.ref, c.mode, c.pid, ...(all ? [c.state] : []), c.started, c.branch, c.claims, c.title], f), stderr: ''}
}

/** Running and clean exits read green, failures red, a stop or a worker that vanished without an end yellow. */
function stateColour(e: WorkerRow): 'green' | 'yellow' | 'red' {
  if (e.state === 'exited' && e.exit_code === 0 && e.permission_denials?.count) return 'yellow'
  if (e.state === 'running' || e.state === 'queued' || e.state === 'waiting' || (e.state === 'exited' && e.exit_code === 0)) return 'green'
  return e.state === 'unknown' || e.state === 'stopped' ? 'yellow' : 'red'
}

/**
 * How a person gets back to a worker's Claude session: its tmux pane while it
 * runs there, else the session to resume once it has ended. Pure.
 */
export function backTo(e: Pick<StatusEntry, 'pid' | 'mode' | 'active' | 'tmux' | 'cwd' | 'claude_session_id' | 'ref' | 'job_id'>): string | undefined {
  if (e.active && e.tmux) return `tmux -S ${shellQuote(e.tmux.socket)} attach -t ${shellQuote(e.tmux.pane)}`
  if (e.active) return e.mode === 'interactive' ? 'it runs in the terminal that opened it' : undefined
  if (e.claude_session_id) return e.mode === 'interactive' ? `cd ${shellQuote(e.cwd)} && claude --resume ${e.claude_session_id}` : e.job_id ? `dispatch attach ${shellQuote(e.ref)}` : `dispatch attach --pid ${e.pid}`
  return e.mode === 'interactive' ? `cd ${shellQuote(e.cwd)} && claude --continue` : undefined
}

/** Where a run dispatch watch started stands: "attempt 2 of round 1, a retry of 4242". Pure. */
function chainLine(e: WorkerRow): string {
  const why = e.continuation ? `, ${e.continuation === 'retry' ? 'a retry' : e.continuation === 'nudge' ? 'a nudge' : `for the ${e.continuation}`}${e.continues ? ` of ${inertLine(e.continues)}` : ''}` : ''
  const end = e.watch_stop ? `; watch stopped it (${e.watch_stop})` : e.given_up ? `; watch gave up: ${inertLine(e.given_up)}` : e.watch_done ? `; its pull request ${e.watch_done}` : ''
  return `attempt ${e.attempt ?? 1} of round ${e.round ?? 0}${why}${end}`
}

/** The outcome block of `status REF`: the summary, then the pull request and the branch. Pure. */
export function outcomeLines(o: WorkerOutcome): string[] {
  const pr = o.pull_request
  const branch = [
    o.ahead === null ? undefined : `${o.ahead} commit${o.ahead === 1 ? '' : 's'} ahead of the default branch`,
    o.pushed === null ? undefined : o.pushed === 'absent' ? 'not on origin' : o.pushed === 'up-to-date' ? 'on origin, up to date' : 'on origin at another commit',
  ].filter(Boolean)
  return [
    `outcome   ${inertLine(o.summary)}`,
    ...(pr ? [`pull req  #${pr.number} ${pr.state}${pr.checks ? `, checks ${pr.checks}` : ''}: ${inertLine(pr.url)}`] : []),
    ...(branch.length > 0 ? [`          ${branch.join('; ')}`] : []),
    ...(o.forge_error ? [`          forge: ${inertLine(o.forge_error)}`] : []),
  ]
}

/** `status REF`: one worker in detail, then its rendered tail (or the head of --follow's stream). */
export function renderWorkerBlock(e: WorkerRow, f: TerminalFacts & {color: boolean; following: boolean}): string {
  const back = backTo(e)
  const lines = [
    `ref       ${inertLine(e.ref)}: ${inertLine(e.title)}`,
    ...(e.runner === 'slurm' ? [`job       ${e.job_id} (Slurm${e.node ? `, node ${inertLine(e.node)}` : ''})`] : []),
    `pid       ${e.pid}`,
    `state     ${paint(stateLabel(e), stateColour(e), f.color)}${e.error ? ` (${inertLine(e.error)})` : ''}`,
    `exit code ${e.exit_code ?? '-'}`,
    `started   ${e.started_at} (${relativeTime(e.started_at, f.now)})`,
    `duration  ${duration(e.duration_ms)}`,
    ...(e.last_activity ? [`activity  ${relativeTime(e.last_activity, f.now)} (the log last grew)`] : []),
    ...(typeof e.cost_usd === 'number' ? [`cost      $${e.cost_usd.toFixed(4)}`] : []),
    ...(typeof e.num_turns === 'number' ? [`turns     ${e.num_turns}`] : []),
    ...(e.permission_denials?.count ? [`refused   ${e.permission_denials.count} tool call${e.permission_denials.count === 1 ? '' : 's'} (${e.permission_denials.tools.map(inertLine).join(', ')}): claude did not let the worker run them; check claude.permissionMode and --allowed-tools (dispatch doctor)`] : []),
    ...((e.attempts ?? 1) > 1 ? [`attempts  ${e.attempts} (this is the newest; every run: dispatch sidequests list --all)`] : []),
    ...(chainLabel(e) ? [`watch     ${chainLine(e)}`] : []),
    `mode      ${e.mode}${e.mode === 'cascade' ? ` (depth ${e.cascade_depth})` : ''}`,
    `cwd       ${e.cwd}`,
    `branch    ${e.branch}`,
    `log       ${e.log_path ?? '-'}`,
    ...(e.outcome ? outcomeLines(e.outcome) : []),
    ...(e.paths_claimed.length > 0 ? [`claims    ${e.paths_claimed.join(', ')}${e.repo ? ` (in ${e.repo})` : ''}`] : []),
    ...(e.claude_session_id ? [`session   ${e.claude_session_id}`] : []),
    ...(e.tmux ? [`tmux      pane ${e.tmux.pane} (socket ${e.tmux.socket})`] : []),
    ...(back ? [`back      ${back}`] : []),
  ]
  const tail = e.tail ?? []
  if (f.following) lines.push('', tail.length > 0 ? `last ${tail.length} event(s), then following until it exits (Ctrl-C stops following, not the worker):` : 'following until it exits (Ctrl-C stops following, not the worker):')
  else if (tail.length > 0) lines.push('', `last ${tail.length} event(s):`)
  return [...lines, ...tail.map((l) => `  ${l}`)].join('\n') + '\n'
}

/** `status REF --follow`: one event as it arrives. */
export function renderFollowLine(line: string): string {
  return `  ${line}\n`
}

/** `status REF --follow`: how the worker ended, once it has. */
export function renderFollowEnd(e: Pick<WorkerRow, 'ref' | 'state' | 'exit_code' | 'exit_signal'>): string {
  return `${e.ref} ${stateLabel(e)}${e.exit_code !== undefined && e.exit_code !== null ? ` (exit code ${e.exit_code})` : ''}\n`
}

/** `sidequests list`, from records as the registry holds them. */
export function renderSidequests(records: readonly SidequestRecord[], all: boolean, f: TerminalFacts): Rendered {
  return renderSidequestList(records.map((r) => toEntry(r, f.now)), all, f)
}

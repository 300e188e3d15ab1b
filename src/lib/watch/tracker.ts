/**
 * The tracker back-link (watch.comment): one comment per issue, made when its
 * first run starts and edited in place after. It says where the work stands
 * and holds no log text and no secret: state, branch, pull request, attempt,
 * round and cost, all from the registry and the forge.
 */
import {usd} from '../budget.js'
import type {SidequestRecord} from '../registry/index.js'
import type {IssueState} from './decide.js'

/** The first line of every tracker comment: how a reader (and a later watch) knows it. */
export const TRACKER_MARK = '<!-- dispatch-watch -->'

export interface TrackerView {
  state: IssueState
  runs: readonly SidequestRecord[]
  pullRequest?: {number: number; url: string} | null
  reason?: string
  now: Date
}

const WORDS: Record<IssueState, string> = {
  new: 'queued',
  running: 'a worker is on it',
  retrying: 'retrying after a failed run',
  'checks-pending': 'pull request open, checks running',
  'in-review': 'pull request open, waiting for review',
  'given-up': 'given up',
  merged: 'merged',
  closed: 'closed without a merge',
  stopped: 'stopped',
  unknown: 'in progress',
}

export function trackerBody(v: TrackerView): string {
  const last = v.runs.at(-1)
  const cost = v.runs.reduce((sum, r) => sum + (r.cost_usd ?? 0), 0)
  const rows = [
    `**dispatch watch**: ${WORDS[v.state]}${v.reason ? `: ${oneLine(v.reason)}` : ''}`,
    '',
    '| | |',
    '|---|---|',
    `| branch | \`${last?.branch ?? '—'}\` |`,
    `| pull request | ${v.pullRequest ? `#${v.pullRequest.number}` : '—'} |`,
    `| runs | ${v.runs.length} (attempt ${last?.attempt ?? 1}, round ${last?.round ?? 0}) |`,
    `| cost | ${usd(cost)} |`,
    '',
    `<sub>updated ${v.now.toISOString().replace(/\.\d+Z$/, 'Z')} by dispatch watch; edited in place</sub>`,
  ]
  return `${TRACKER_MARK}\n${rows.join('\n')}\n`
}

/** A reason is our own sentence, but may quote a forge's words: one line, no markup that could ping anyone. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/[@<>`|]/g, ' ').slice(0, 200)
}

/** The comment id watch made for this issue, from the newest run that carries it. */
export function trackerCommentId(runs: readonly SidequestRecord[]): number | undefined {
  for (let i = runs.length - 1; i >= 0; i--) {
    const id = runs[i].tracker_comment_id
    if (typeof id === 'number' && id > 0) return id
  }
  return undefined
}

/** What a finished worker's log says: session id, cost, turns, outcome. Pure. */
import type {PermissionDenials} from '../../registry/record.js'
import {resultDenials} from './denials.js'
import {parseLine} from './events.js'

export interface ResultSummary {
  sessionId: string | null
  costUsd: number | null
  numTurns: number | null
  isError: boolean | null
  text: string | null
  /** The last result's permission_denials; null without a result. */
  permissionDenials: PermissionDenials | null
}

/** The session id, cost and turns a log shows, from its last result event (session id from any event). */
export function summarise(lines: Iterable<string>): ResultSummary {
  const out: ResultSummary = {sessionId: null, costUsd: null, numTurns: null, isError: null, text: null, permissionDenials: null}
  for (const line of lines) {
    const ev = parseLine(line)
    if (!ev) continue
    if (typeof ev.session_id === 'string' && ev.session_id) out.sessionId = ev.session_id
    if (ev.type === 'result') {
      const cost = ev.total_cost_usd ?? ev.cost_usd
      out.costUsd = typeof cost === 'number' ? cost : null
      out.numTurns = typeof ev.num_turns === 'number' ? ev.num_turns : null
      out.isError = ev.is_error === true
      out.text = typeof ev.result === 'string' ? ev.result : null
      out.permissionDenials = resultDenials(ev)
    }
  }
  return out
}

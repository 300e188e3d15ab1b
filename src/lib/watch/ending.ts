/**
 * How a run ended, told from its record and the end of its log, in the words
 * watch decides by: completed, or one of the ways a run fails that a resume
 * may mend (crashed, killed, stalled, an API error, a rate limit, a usage
 * limit with its reset), or a stop nobody should undo (the operator's).
 */
import {open} from 'node:fs/promises'

import type {SidequestRecord} from '../registry/index.js'
import {message, parseLine} from '../worker/stream/events.js'

export type EndKind = 'completed' | 'crashed' | 'killed' | 'stalled' | 'api-error' | 'rate-limit' | 'usage-limit' | 'stopped' | 'closed-issue'

export interface WorkerEnd {
  kind: EndKind
  /** A few words for people: the signal, the exit code, the API's message. */
  detail: string
  /** usage-limit: when the limit resets (ISO), when the message named it. */
  resetAt?: string
}

/** Only the end of a log is read: the result and the last errors are there. */
const TAIL_BYTES = 256 * 1024

// Claude Code's plan limits: "Claude AI usage limit reached|<epoch s>", "5-hour limit reached ∙ resets 3pm",
// "Weekly limit reached · resets Mon 9am". Not a bare "limit reached": an API's "rate limit reached" is a 429.
const USAGE = /usage limit|\b(?:\d+-hour|weekly|daily|session|opus|sonnet)\s+limit reached|limit reached\s*\S?\s*resets?\b|out of (?:extra )?usage/i
const RATE = /\b429\b|rate[ _-]?limit/i
const API = /API Error|overloaded|\b5\d\d\b.*error|Internal server error/i

/** What the log says at its end: the last result, the model's own error texts, the last API retry. */
function logFacts(lines: Iterable<string>): {result?: {isError: boolean; subtype: string; text: string}; texts: string[]; retry?: {error: string; status: number | null}} {
  let result: {isError: boolean; subtype: string; text: string} | undefined
  let retry: {error: string; status: number | null} | undefined
  const texts: string[] = []
  for (const line of lines) {
    const ev = parseLine(line)
    if (!ev) {
      // Plain lines are the supervisor's and claude's stderr ("Claude AI usage limit reached|…").
      if (line.trim()) texts.push(line.trim())
      continue
    }
    if (ev.type === 'result') result = {isError: ev.is_error === true, subtype: String(ev.subtype ?? ''), text: typeof ev.result === 'string' ? ev.result : ''}
    if (ev.type === 'system' && ev.subtype === 'api_retry') retry = {error: String(ev.error ?? ''), status: typeof ev.error_status === 'number' ? ev.error_status : null}
    if (ev.type === 'assistant') {
      const m = message(ev)
      // Errors claude reports as a model reply come from the model "<synthetic>".
      if (m.model === '<synthetic>' && Array.isArray(m.content)) {
        for (const c of m.content as Array<{type?: string; text?: unknown}>) if (c.type === 'text' && typeof c.text === 'string') texts.push(c.text)
      }
    }
  }
  return {result, texts: texts.slice(-20), retry}
}

/**
 * The reset a usage-limit message names: "…|1733000000" (epoch seconds) or
 * "resets 3pm" / "resets at 15:30" (the next such local time after `after`).
 */
export function usageReset(text: string, after: Date): string | undefined {
  const epoch = /\|(\d{10})\b/.exec(text)
  if (epoch) return new Date(Number(epoch[1]) * 1000).toISOString()
  const clock = /resets?\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?/i.exec(text)
  if (!clock) return undefined
  let hour = Number(clock[1])
  const minute = Number(clock[2] ?? 0)
  const half = clock[3]?.toLowerCase()
  if (half === 'pm' && hour < 12) hour += 12
  if (half === 'am' && hour === 12) hour = 0
  if (hour > 23 || minute > 59) return undefined
  const at = new Date(after)
  at.setHours(hour, minute, 0, 0)
  if (at <= after) at.setDate(at.getDate() + 1)
  return at.toISOString()
}

/** Pure: the record and its log's lines (the end of them is enough). */
export function classifyEnd(r: SidequestRecord, lines: Iterable<string>, now: Date): WorkerEnd {
  if (r.watch_stop === 'stalled') return {kind: 'stalled', detail: 'its log was silent for watch.stallMinutes'}
  if (r.watch_stop === 'issue-closed' || r.watch_stop === 'unlabelled') return {kind: 'closed-issue', detail: r.watch_stop === 'issue-closed' ? 'the issue was closed' : 'the issue lost its label'}
  if (r.stopped) return {kind: 'stopped', detail: 'dispatch stop'}
  const {result, texts, retry} = logFacts(lines)
  const said = [...texts, result?.isError ? result.text : ''].filter(Boolean)
  const usage = said.find((t) => USAGE.test(t))
  if (usage) {
    const resetAt = usageReset(usage, r.ended_at ? new Date(r.ended_at) : now)
    return {kind: 'usage-limit', detail: oneLine(usage), ...(resetAt ? {resetAt} : {})}
  }
  const failed = !result || result.isError || (r.exit_code ?? 0) !== 0
  if (failed) {
    const rate = said.find((t) => RATE.test(t))
    if (rate || retry?.error === 'rate_limit') return {kind: 'rate-limit', detail: oneLine(rate ?? `HTTP ${retry?.status ?? 429} from the API`)}
    const api = said.find((t) => API.test(t))
    if (api || (retry && !result)) return {kind: 'api-error', detail: oneLine(api ?? `the API kept failing (${retry!.error || 'no answer'}${retry!.status ? `, HTTP ${retry!.status}` : ''})`)}
  }
  if (r.crashed) return {kind: 'crashed', detail: oneLine(r.error ?? 'failed at start')}
  if (r.exit_signal) return {kind: 'killed', detail: `signal ${r.exit_signal}`}
  if (!r.ended_at || r.exit_code === null || r.exit_code === undefined) return {kind: 'crashed', detail: 'it ended without its end on record (the supervisor was killed?)'}
  if (r.exit_code !== 0) return {kind: 'crashed', detail: `exit code ${r.exit_code}${result?.isError ? `, ${result.subtype || 'error'}` : ''}`}
  if (!result) return {kind: 'crashed', detail: 'exit code 0 without a result'}
  if (result.isError) return {kind: 'crashed', detail: result.subtype || 'an error result'}
  return {kind: 'completed', detail: ''}
}

/** classifyEnd over the last TAIL_BYTES of the run's log (none: the record alone). */
export async function readEnd(r: SidequestRecord, now: Date): Promise<WorkerEnd> {
  return classifyEnd(r, r.log_path ? await tail(r.log_path) : [], now)
}

async function tail(file: string): Promise<string[]> {
  let handle
  try {
    handle = await open(file, 'r')
    const {size} = await handle.stat()
    const start = Math.max(0, size - TAIL_BYTES)
    const buf = Buffer.alloc(size - start)
    await handle.read(buf, 0, buf.length, start)
    const lines = buf.toString('utf8').split('\n')
    // A cut first line is half an event: dropped.
    return start > 0 ? lines.slice(1) : lines
  } catch {
    return []
  } finally {
    await handle?.close()
  }
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return t.length > 160 ? `${t.slice(0, 159)}…` : t
}

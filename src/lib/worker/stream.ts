/**
 * Claude Code's `--output-format stream-json --verbose` events: what they
 * mean for a worker's health, what the final result says, and how to show
 * them to a person. Pure functions only.
 */
import {inertLine, truncate} from '../terminal.js'

export type StreamEvent = Record<string, unknown> & {type?: string; subtype?: string}

export function parseLine(line: string): StreamEvent | undefined {
  const trimmed = line.trim()
  if (!trimmed.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(trimmed)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as StreamEvent) : undefined
  } catch {
    return undefined
  }
}

/** A retry claude will sit out on its own (rate limit, server trouble): worth a warning, not a failure. */
export interface RetryWarning {
  type: 'api_retry'
  /** HTTP status of the failed request. */
  status: number
  /** Claude Code's category: rate_limit, overloaded, server_error. */
  error: string | null
  /** Attempts seen so far during start-up. */
  attempts: number
  message: string
}

export type HealthSignal = {kind: 'healthy'} | {kind: 'failed'; reason: string} | {kind: 'retrying'; warning: RetryWarning} | undefined

function message(ev: StreamEvent): {model?: unknown; content?: unknown} {
  return (ev.message && typeof ev.message === 'object' ? ev.message : {}) as {model?: unknown; content?: unknown}
}

function assistantText(ev: StreamEvent): string {
  const content = message(ev).content
  if (!Array.isArray(content)) return ''
  return content
    .filter((b): b is {type: string; text: string} => b && b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text)
    .join('\n')
}

/**
 * What one event says about a starting worker (SPEC §7).
 * NOTE: `system/init` arrives before any API call and proves nothing. On a
 * bad request Claude Code prints a synthetic assistant message (model
 * `<synthetic>`) and a `result` with `is_error`; on a bad key or an
 * unreachable API it retries for minutes with `system/api_retry` events
 * instead of exiting. Only 429 and 5xx retries are worth waiting out.
 */
export function healthSignal(ev: StreamEvent): HealthSignal {
  if (ev.type === 'assistant') {
    const model = message(ev).model
    if (model === '<synthetic>') return undefined
    return {kind: 'healthy'}
  }
  if (ev.type === 'result') {
    if (ev.is_error === true) {
      const text = typeof ev.result === 'string' && ev.result ? ev.result : String(ev.subtype ?? 'error')
      return {kind: 'failed', reason: `claude reported an error: ${text}`}
    }
    return {kind: 'healthy'}
  }
  if (ev.type === 'system' && ev.subtype === 'api_retry') {
    // Claude Code 2.1.328: {attempt, max_retries, retry_delay_ms, error_status: number | null, error: category}.
    // A refused connection or a failed DNS lookup has no status (null) and category "unknown".
    const status = typeof ev.error_status === 'number' ? ev.error_status : null
    const category = typeof ev.error === 'string' && ev.error ? ev.error : null
    if (status !== null && (status === 429 || (status >= 500 && status < 600))) {
      const attempt = typeof ev.attempt === 'number' ? ev.attempt : 1
      return {
        kind: 'retrying',
        warning: {type: 'api_retry', status, error: category, attempts: attempt, message: `the model API answered ${status}${category ? ` (${category})` : ''} during start-up; claude is retrying (attempt ${attempt}${typeof ev.max_retries === 'number' ? ` of ${ev.max_retries}` : ''})`},
      }
    }
    if (status === null) return {kind: 'failed', reason: `the model API could not be reached (no HTTP status${category ? `, error "${category}"` : ''}: connection refused, DNS failure or similar); claude would keep retrying`}
    return {kind: 'failed', reason: `the model API answered ${status}${category ? ` (${category})` : ''}; claude would keep retrying`}
  }
  return undefined
}

export interface ResultSummary {
  sessionId: string | null
  costUsd: number | null
  numTurns: number | null
  isError: boolean | null
  text: string | null
}

/** The session id, cost and turns a log shows, from its last result event (session id from any event). */
export function summarise(lines: Iterable<string>): ResultSummary {
  const out: ResultSummary = {sessionId: null, costUsd: null, numTurns: null, isError: null, text: null}
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
    }
  }
  return out
}

const KEY_ARGUMENT: Record<string, string> = {
  Bash: 'command',
  Read: 'file_path',
  Edit: 'file_path',
  MultiEdit: 'file_path',
  Write: 'file_path',
  NotebookEdit: 'notebook_path',
  Glob: 'pattern',
  Grep: 'pattern',
  WebFetch: 'url',
  WebSearch: 'query',
  Task: 'description',
}

function keyArgument(name: string, input: unknown): string {
  if (!input || typeof input !== 'object') return ''
  const obj = input as Record<string, unknown>
  if (name === 'TodoWrite' && Array.isArray(obj.todos)) return `${obj.todos.length} todo(s)`
  const key = KEY_ARGUMENT[name]
  if (key && typeof obj[key] === 'string') return obj[key] as string
  const first = Object.values(obj).find((v) => typeof v === 'string')
  return typeof first === 'string' ? first : ''
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? ''
}

/**
 * Why a tool call failed, in one line: the first line of its output, without
 * Claude Code's wrapper tag, and past Bash's "Exit code N" (kept as a prefix),
 * which says that it failed but not why. Content may be text or text blocks.
 */
export function toolErrorReason(content: unknown): string {
  const text = typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((b: {type?: string; text?: unknown}) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('\n')
      : ''
  // Colour codes from test runners carry no reason; anything else stays and is made inert by the caller.
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/<\/?tool_use_error>/g, '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean)
  const exit = /^Exit code (\d+)$/.exec(lines[0] ?? '')
  if (exit) return lines[1] ? `exit ${exit[1]}: ${lines[1]}` : `exit ${exit[1]}`
  return lines[0] ?? '(no output)'
}

/**
 * One log line rendered for a person: zero or more display lines, already
 * inert (no control sequences from the stream reach the terminal).
 */
export function renderLine(line: string, width = 120): string[] {
  if (line.trim() === '') return []
  const ev = parseLine(line)
  const cut = (s: string) => truncate(inertLine(s), width)
  if (!ev) return [cut(line)]
  switch (ev.type) {
    case 'system': {
      if (ev.subtype === 'init') return [cut(`• session started${typeof ev.model === 'string' ? ` (${ev.model})` : ''}${typeof ev.session_id === 'string' ? ` ${ev.session_id}` : ''}`)]
      if (ev.subtype === 'api_retry') return [cut(`! API error ${typeof ev.error_status === 'number' ? ev.error_status : typeof ev.error === 'string' ? `(no status, ${ev.error})` : '?'}, retrying (attempt ${String(ev.attempt ?? '?')})`)]
      return []
    }
    case 'assistant': {
      const out: string[] = []
      const content = message(ev).content
      const synthetic = message(ev).model === '<synthetic>'
      if (Array.isArray(content)) {
        for (const block of content as Array<Record<string, unknown>>) {
          if (block?.type === 'text' && typeof block.text === 'string' && block.text.trim()) {
            out.push(cut(`${synthetic ? '✗' : '◆'} ${firstLine(block.text)}`))
          } else if (block?.type === 'tool_use' && typeof block.name === 'string') {
            const arg = firstLine(keyArgument(block.name, block.input))
            out.push(cut(`→ ${block.name}${arg ? `: ${arg}` : ''}`))
          }
        }
      }
      return out
    }
    case 'user': {
      const content = message(ev).content
      if (!Array.isArray(content)) return []
      return (content as Array<Record<string, unknown>>)
        .filter((b) => b?.type === 'tool_result' && b.is_error === true)
        .map((b) => cut(`✗ tool error: ${toolErrorReason(b.content)}`))
    }
    case 'result': {
      const turns = typeof ev.num_turns === 'number' ? `${ev.num_turns} turn(s)` : ''
      const cost = typeof ev.total_cost_usd === 'number' ? `$${ev.total_cost_usd.toFixed(4)}` : ''
      const meta = [turns, cost].filter(Boolean).join(', ')
      const text = typeof ev.result === 'string' ? firstLine(ev.result) : ''
      return [cut(`${ev.is_error ? '✗ failed' : '✓ done'}${meta ? ` (${meta})` : ''}${text ? `: ${text}` : ''}`)]
    }
    default:
      return []
  }
}

/** The last `n` rendered lines of a log's text. */
export function renderTail(text: string, n: number, width?: number): string[] {
  const rendered = text.split('\n').flatMap((l) => renderLine(l, width))
  return n <= 0 ? [] : rendered.slice(-n)
}

export {assistantText}

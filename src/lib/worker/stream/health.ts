/** What stream events say about a starting worker's health. Pure. */
import {message, type StreamEvent} from './events.js'

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

/** Tool calls claude refused during start-up: the worker runs on, but cannot do what it was sent to do. */
export interface DenialWarning {
  type: 'permission_denied'
  /** Refused calls seen so far. */
  count: number
  /** Each refused tool once, first refused first. */
  tools: string[]
  message: string
}

/** What the health window saw that does not fail a start but is worth saying. */
export type StartWarning = RetryWarning | DenialWarning

/** The warning for the refusals seen so far; `first` is claude's words for the first one. Pure. */
export function denialWarning(count: number, tools: string[], first: string, permissionMode?: string): DenialWarning {
  const words = first.length > 160 ? `${first.slice(0, 159)}…` : first
  const mode = permissionMode ? ` (permission mode ${permissionMode})` : ''
  return {
    type: 'permission_denied',
    count,
    tools,
    message: `claude refused the worker's first tool call${count === 1 ? '' : 's'}${mode}: ${tools.join(', ')}${words ? ` ("${words}")` : ''}; it runs on but may not be able to do its work. Check claude.permissionMode and --allowed-tools (dispatch doctor), then: dispatch stop and dispatch again`,
  }
}

export type HealthSignal = {kind: 'healthy'} | {kind: 'failed'; reason: string} | {kind: 'retrying'; warning: RetryWarning} | undefined

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

import {FailureError, NotFoundError, describeCause} from '../errors.js'

/** A forge said the issue is not there; `status` tells a plain 404 from a 410. */
export class IssueNotFoundError extends NotFoundError {
  constructor(message: string, suggestion: string, readonly status: 404 | 410) {
    super(message, suggestion)
  }
}

/**
 * The forge could not be reached, or answered with nothing dispatch knows how
 * to read. The suggestion points at `dispatch doctor`; doctor itself says
 * something else for it (src/lib/doctor.ts).
 */
export class ForgeReachError extends FailureError {}

/** The forge is rate-limiting us (403 with no requests left, or 429): `resetAt` is when it lifts, when it said. */
export class ForgeRateLimitError extends FailureError {
  constructor(message: string, suggestion: string, readonly resetAt?: Date) {
    super(message, suggestion)
  }
}

/** Turn an HTTP status from a forge into the right error, naming the host and the next step. */
export function errorForStatus(
  status: number,
  what: string,
  host: string,
  detail: {resetAt?: Date; tokenHint: string; message?: string},
): Error {
  if (status === 404) {
    return new IssueNotFoundError(
      `${what} was not found on ${host} (404).`,
      `Check the owner, repository and number; for a private repository ${detail.tokenHint}.`,
      404,
    )
  }
  if (status === 410) return new IssueNotFoundError(`${what} was deleted on ${host} (410 Gone).`, 'Pick another issue.', 410)
  if (status === 401) return new FailureError(`${host} rejected the token (401).`, `Refresh it: ${detail.tokenHint}.`)
  if (status === 403 || status === 429) {
    const when = detail.resetAt ? ` until ${detail.resetAt.toISOString()}` : ''
    const rateLimited = status === 429 || detail.resetAt !== undefined
    return rateLimited
      ? new ForgeRateLimitError(`${host} is rate-limiting requests (${status})${when}.`, `Wait, or authenticate for a higher limit: ${detail.tokenHint}.`, detail.resetAt)
      : new FailureError(`${host} refused access to ${what} (403).`, `Check the token's permissions: ${detail.tokenHint}.`)
  }
  if (status >= 500) return new FailureError(`${host} failed with ${status} while fetching ${what}, after retries.`, 'Try again later.')
  return new ForgeReachError(`${host} answered ${status} for ${what}${detail.message ? `: ${detail.message}` : ''}.`, 'Try again, or run dispatch doctor.')
}

export function timeoutError(host: string, ms: number): FailureError {
  return new ForgeReachError(`Timed out after ${Math.round(ms / 100) / 10} s waiting for ${host}.`, 'Check the network, or raise timeoutMs in the config.')
}

export function networkError(host: string, cause: unknown): FailureError {
  return new ForgeReachError(`Could not reach ${host}: ${describeCause(cause)}.`, 'Check the network and the configured URL (dispatch doctor).')
}

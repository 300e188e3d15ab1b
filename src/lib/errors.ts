/**
 * The failure classes of SPEC §9. Each carries its exit code, a stable
 * machine-readable `code`, and a `suggestion` telling the user what to do next.
 * Mapping an error to an exit code happens here and nowhere else.
 */

export type ErrorCode = 'failure' | 'usage' | 'refused' | 'not_found'

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  refused: 3,
  notFound: 4,
} as const

/**
 * Hide the user-info part of every URL in a text (https://user:token@host/… →
 * https://***@host/…): a checkout's origin may carry a token. Pure.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@')
}

export abstract class DispatchError extends Error {
  abstract readonly exitCode: number
  abstract readonly code: ErrorCode
  readonly suggestion?: string

  constructor(message: string, suggestion?: string) {
    // Messages quote git's output and remote URLs; a token in one must not reach a terminal or --json.
    super(redactUrlCredentials(message))
    this.name = new.target.name
    this.suggestion = suggestion === undefined ? undefined : redactUrlCredentials(suggestion)
  }

  /** Message plus the next step, as shown to a person. */
  get display(): string {
    return this.suggestion ? `${this.message}\n${this.suggestion}` : this.message
  }
}

/** Network, git, spawn, filesystem, worker crashed at start: exit 1. */
export class FailureError extends DispatchError {
  readonly exitCode = EXIT.failure
  readonly code = 'failure' as const
}

/** Bad flag, malformed reference, invalid config: exit 2. */
export class UsageError extends DispatchError {
  readonly exitCode = EXIT.usage
  readonly code = 'usage' as const
}

/** Refused by policy (owner, state, pull request, duplicate, claims, maxActive, cascade budget): exit 3. */
export class PolicyError extends DispatchError {
  readonly exitCode = EXIT.refused
  readonly code = 'refused' as const
}

/** Issue or checkout not found: exit 4. */
export class NotFoundError extends DispatchError {
  readonly exitCode = EXIT.notFound
  readonly code = 'not_found' as const
}

export function isDispatchError(err: unknown): err is DispatchError {
  return err instanceof DispatchError
}

/** Shape printed on stdout for `--json` failures. */
export interface JsonError {
  error: {code: ErrorCode; exit_code: number; message: string; suggestion?: string}
}

export function toJsonError(err: DispatchError): JsonError {
  return {
    error: {
      code: err.code,
      exit_code: err.exitCode,
      message: err.message,
      ...(err.suggestion ? {suggestion: err.suggestion} : {}),
    },
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * The failure classes of SPEC §9. Each carries its exit code, a stable
 * machine-readable `code`, and a `suggestion` telling the user what to do next.
 * Mapping an error to an exit code happens here and nowhere else.
 */
import {constants as osConstants} from 'node:os'

export type ErrorCode = 'failure' | 'usage' | 'refused' | 'not_found' | 'interrupted' | 'unknown_command'

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  refused: 3,
  notFound: 4,
  /** No such command (what a shell answers); printed by src/hooks/command-not-found.ts. */
  unknownCommand: 127,
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
  /**
   * The last lines of a worker's log, when the failure is a worker's (a crash
   * at start, src/lib/worker/spawn.ts): the error reporter prints them under the message.
   */
  readonly tail?: readonly string[]

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

/** Which check refused, where a caller acts on it (dispatch watch waits on the ones another worker holds). */
export type PolicyReason = 'duplicate' | 'claims' | 'capacity' | 'budget' | 'worktree'

/** Refused by policy (owner, state, pull request, duplicate, claims, maxActive, cascade budget): exit 3. */
export class PolicyError extends DispatchError {
  readonly exitCode = EXIT.refused
  readonly code = 'refused' as const

  constructor(
    message: string,
    suggestion?: string,
    /** Set by the checks against other workers and the budget (dispatch/admit.ts); absent for owner, state and the like. */
    readonly reason?: PolicyReason,
  ) {
    super(message, suggestion)
  }
}

/** Issue or checkout not found: exit 4. */
export class NotFoundError extends DispatchError {
  readonly exitCode = EXIT.notFound
  readonly code = 'not_found' as const
}

/**
 * The dispatch itself was interrupted (Ctrl-C, SIGTERM): exit 128 + the
 * signal's number, as a shell reports a process that died of it (130, 143).
 */
export class InterruptedError extends DispatchError {
  readonly exitCode: number
  readonly code = 'interrupted' as const
  constructor(
    message: string,
    readonly signal: NodeJS.Signals,
    /** The worker that keeps running, when it had started (0 for a queued Slurm job: see recordKey). */
    readonly pid?: number,
    /** The started worker's registry key (registry/record.ts recordKey): `slurm-<job id>` names a queued job, whose pid is 0. */
    readonly recordKey?: string,
  ) {
    super(message)
    this.exitCode = 128 + (osConstants.signals[signal] ?? 0)
  }
}

/** Not a command (what a shell answers: 127); see src/hooks/command-not-found.ts. */
export class UnknownCommandError extends DispatchError {
  readonly exitCode = EXIT.unknownCommand
  readonly code = 'unknown_command' as const
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

/**
 * An error with the causes behind it, as people need to see them:
 * `fetch failed: connect ECONNREFUSED 127.0.0.1:9` rather than `fetch failed`.
 */
export function describeCause(err: unknown): string {
  const parts: string[] = []
  let current: unknown = err
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const e = current as {message?: string; code?: string; name?: string; cause?: unknown}
    let text = e instanceof Error || typeof e.message === 'string' ? String(e.message) : String(current)
    if (e.name === 'TimeoutError' || e.name === 'AbortError') text = text || 'timed out'
    // System error codes (ECONNREFUSED, ENOTFOUND, UND_ERR_…) help; our own error codes do not.
    const code = typeof e.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(e.code) ? e.code : undefined
    if (code && !text.includes(code)) text = text ? `${text} (${code})` : code
    if (text && !parts.some((p) => p.includes(text))) parts.push(text)
    current = e.cause
  }
  return parts.join(': ') || 'unknown error'
}

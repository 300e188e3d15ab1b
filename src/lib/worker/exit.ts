/** How a worker's end is written down: exit code and the signal that ended it. Pure. */
import {constants as osConstants} from 'node:os'

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]))

/** The exit code a shell would report: the process's own, else 128 + the signal's number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  return 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)
}

/**
 * The signal that ended a process, when one did. The OS says so when the
 * process died of it; a process that catches the signal and exits with
 * 128 + its number says so by convention.
 * NOTE: Claude Code 2.1.328 does the latter: on SIGTERM it exits with code
 * 143 rather than dying of the signal. Only the signals people send to stop
 * something are read that way (HUP, INT, KILL, TERM); a 130 from a worker is
 * rare enough otherwise.
 */
export function exitSignalOf(code: number | null, signal: NodeJS.Signals | null): NodeJS.Signals | null {
  if (signal) return signal
  if (code === null || code <= 128) return null
  const name = SIGNAL_NAMES.get(code - 128)
  return name && ['SIGHUP', 'SIGINT', 'SIGKILL', 'SIGTERM'].includes(name) ? name : null
}

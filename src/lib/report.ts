/**
 * The one error reporter. oclif's base command, `sidequests conflicts`, the
 * start-up fast path and the command-not-found hook all print errors and pick
 * exit codes here: JSON on stdout under --json, otherwise the message, the
 * next step and any worker log tail on stderr; never a stack for an expected
 * failure. No oclif here: the fast path must not load it.
 */
import {DispatchError, FailureError, toJsonError, type JsonError} from './errors.js'
import {inertText} from './terminal.js'

/** Where a report goes. */
export interface ErrorSink {
  /** --json was given (before any `--`). */
  json: boolean
  /** Print a JSON value on stdout (oclif's logJson, or a plain write). */
  printJson(value: JsonError): void
  /** Write text to stderr. */
  stderr(text: string): void
  /** Also print the stack of an unexpected error (DEBUG set). */
  debug?: boolean
}

/** Anything thrown, as one of SPEC §9's errors: ours as they are, anything else an unexpected failure. Pure. */
export function asDispatchError(err: unknown): DispatchError {
  if (err instanceof DispatchError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new FailureError(`Unexpected error: ${message}`, 'Run again with DEBUG=* for details, and report it if it persists.')
}

/**
 * Print `err` and return the exit code to use. `exitCode` overrides the
 * error's own, for a command whose contract maps every trouble to one code
 * (`sidequests conflicts`: 2); the JSON then says that code too.
 */
export function reportError(err: unknown, sink: ErrorSink, opts: {exitCode?: number} = {}): number {
  const error = asDispatchError(err)
  const exitCode = opts.exitCode ?? error.exitCode
  if (sink.json) {
    sink.printJson({error: {...toJsonError(error).error, exit_code: exitCode}})
    return exitCode
  }
  let text = `Error: ${inertText(error.message)}\n${error.suggestion ? inertText(error.suggestion) + '\n' : ''}`
  if (error.tail && error.tail.length > 0) text += `Last lines of the worker's log:\n${error.tail.map((l) => `  ${inertText(l)}`).join('\n')}\n`
  if (sink.debug && !(err instanceof DispatchError) && err instanceof Error) text += `${err.stack}\n`
  sink.stderr(text)
  return exitCode
}

/** A sink on this process's streams, for code that runs without oclif (the fast path, hooks). */
export function processSink(json: boolean, streams: {stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream} = process, debug = false): ErrorSink {
  return {
    json,
    printJson: (value) => streams.stdout.write(JSON.stringify(value, null, 2) + '\n'),
    stderr: (text) => streams.stderr.write(text),
    debug,
  }
}

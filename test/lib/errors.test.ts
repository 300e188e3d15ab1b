import {Args, Flags, Parser} from '@oclif/core'
import {expect} from 'chai'

import {classifyCommandError} from '../../src/cli/base.js'
import {FailureError, NotFoundError, PolicyError, UnknownCommandError, UsageError, describeCause} from '../../src/lib/errors.js'
import {asDispatchError, reportError} from '../../src/lib/report.js'

function withCause(message: string, cause?: unknown, code?: string): Error {
  const e = new Error(message, {cause}) as Error & {code?: string}
  if (code) e.code = code
  return e
}

describe('describeCause', () => {
  const table: Array<[string, unknown, string]> = [
    ['fetch failed with a refused connection', withCause('fetch failed', withCause('connect ECONNREFUSED 127.0.0.1:9', undefined, 'ECONNREFUSED')), 'fetch failed: connect ECONNREFUSED 127.0.0.1:9'],
    ['a DNS failure', withCause('fetch failed', withCause('getaddrinfo ENOTFOUND x.invalid', undefined, 'ENOTFOUND')), 'fetch failed: getaddrinfo ENOTFOUND x.invalid'],
    ['a code the message lacks', withCause('socket hang up', undefined, 'ECONNRESET'), 'socket hang up (ECONNRESET)'],
    ['our own error codes are not shown', new FailureError('Could not reach h: x.'), 'Could not reach h: x.'],
    ['a repeated message is said once', withCause('boom', withCause('boom')), 'boom'],
    ['a plain string', 'weird', 'weird'],
  ]
  for (const [name, error, want] of table) it(name, () => expect(describeCause(error)).to.equal(want))
})

describe('the one error reporter', () => {
  const sink = (json: boolean) => {
    const out = {json: [] as unknown[], stderr: ''}
    return {out, sink: {json, printJson: (v: unknown) => out.json.push(v), stderr: (t: string) => (out.stderr += t)}}
  }

  it('prints message, next step and a worker log tail (a typed field) on stderr, and returns the exit code', () => {
    const {out, sink: s} = sink(false)
    const err = new FailureError('The worker for acme/api#1 failed to start: boom.', 'The full log is /tmp/x.log.')
    Object.defineProperty(err, 'tail', {value: ['line one', 'line \u001b[31mtwo']})
    expect(reportError(err, s)).to.equal(1)
    expect(out.stderr).to.equal("Error: The worker for acme/api#1 failed to start: boom.\nThe full log is /tmp/x.log.\nLast lines of the worker's log:\n  line one\n  line \\x1b[31mtwo\n")
  })

  it('under --json prints the error on stdout with the exit code it chose', () => {
    const {out, sink: s} = sink(true)
    expect(reportError(new UsageError('bad', 'try this'), s, {exitCode: 2})).to.equal(2)
    expect(out.json).to.deep.equal([{error: {code: 'usage', exit_code: 2, message: 'bad', suggestion: 'try this'}}])
    expect(out.stderr).to.equal('')
    expect(reportError(new NotFoundError('gone'), s, {exitCode: 2})).to.equal(2)
    expect(out.json[1]).to.deep.equal({error: {code: 'not_found', exit_code: 2, message: 'gone'}})
  })

  it('an unexpected error is a failure (exit 1) without a stack unless asked for', () => {
    const {out, sink: s} = sink(false)
    expect(reportError(new TypeError('x is undefined'), s)).to.equal(1)
    expect(out.stderr).to.match(/^Error: Unexpected error: x is undefined\nRun again with DEBUG/)
    expect(out.stderr).to.not.include('at ')
    expect(asDispatchError('weird')).to.be.instanceOf(FailureError)
  })

  it('the unknown-command error is 127 with its own code', () => {
    const {out, sink: s} = sink(true)
    expect(reportError(new UnknownCommandError('"x" is not a dispatch command.'), s)).to.equal(127)
    expect(out.json[0]).to.deep.include({error: {code: 'unknown_command', exit_code: 127, message: '"x" is not a dispatch command.'}})
  })
})

describe('classifyCommandError (oclif errors by class and exit code, not by wording)', () => {
  const hints = {help: 'See: dispatch status --help', strayHint: 'Pass claude flags after --'}
  async function parseError(argv: string[], input: Parameters<typeof Parser.parse>[1]): Promise<Error> {
    try {
      await Parser.parse(argv, input)
    } catch (error) {
      return error as Error
    }
    throw new Error('expected a parse error')
  }
  const table: Array<[string, () => Promise<Error>, string, string]> = [
    ['a nonexistent flag (NonExistentFlagsError) gets the stray hint', () => parseError(['--bogus'], {flags: {}, args: {}, strict: true}), 'Nonexistent flag: --bogus', hints.strayHint],
    ['a stray argument (UnexpectedArgsError) gets the stray hint', () => parseError(['a', 'b'], {flags: {}, args: {ref: Args.string()}, strict: true}), 'Unexpected argument: b', hints.strayHint],
    ['a missing argument (RequiredArgsError)', () => parseError([], {flags: {}, args: {ref: Args.string({required: true})}, strict: true}), 'Missing 1 required arg: ref', hints.help],
    ['a flag outside its options (FlagInvalidOptionError)', () => parseError(['--m=x'], {flags: {m: Flags.string({options: ['a', 'b']})}, args: {}, strict: true}), 'Expected --m=x to be one of: a, b', hints.help],
    ['a flag value that does not parse (CLIError, exit 2)', () => parseError(['--n=x'], {flags: {n: Flags.integer()}, args: {}, strict: true}), 'Parsing --n; Expected an integer but received: x', hints.help],
  ]
  for (const [what, make, message, suggestion] of table) {
    it(what, async () => {
      const error = classifyCommandError(await make(), hints)
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.equal(message)
      expect(error.suggestion).to.equal(suggestion)
    })
  }

  it('an English message that merely looks like a parse error is not one', () => {
    const error = classifyCommandError(new Error('Missing required config: Unexpected argument'), hints)
    expect(error).to.be.instanceOf(FailureError)
  })

  it('our own errors pass through unchanged', () => {
    const ours = new PolicyError('no')
    expect(classifyCommandError(ours, hints)).to.equal(ours)
  })
})

import {expect} from 'chai'

import {FailureError, describeCause} from '../../src/lib/errors.js'

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

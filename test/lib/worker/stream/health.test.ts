import {expect} from 'chai'

import {healthSignal} from '../../../../src/lib/worker/stream/health.js'

describe('stream-json: health', () => {
  const health: Array<[string, object, string | undefined]> = [
    ['init proves nothing', {type: 'system', subtype: 'init', session_id: 's'}, undefined],
    ['a real reply is healthy', {type: 'assistant', message: {model: 'claude-x', content: []}}, 'healthy'],
    ['a synthetic reply is not', {type: 'assistant', message: {model: '<synthetic>', content: []}}, undefined],
    ['an error result fails', {type: 'result', is_error: true, result: 'API Error: 400'}, 'failed'],
    ['a success result is healthy', {type: 'result', is_error: false}, 'healthy'],
    ['api_retry 401 fails', {type: 'system', subtype: 'api_retry', error_status: 401}, 'failed'],
    ['api_retry 403 fails', {type: 'system', subtype: 'api_retry', error_status: 403}, 'failed'],
    ['api_retry 429 is patience, with a warning', {type: 'system', subtype: 'api_retry', error_status: 429, error: 'rate_limit'}, 'retrying'],
    ['api_retry 503 is patience, with a warning', {type: 'system', subtype: 'api_retry', error_status: 503, error: 'server_error'}, 'retrying'],
    ['api_retry 529 is patience, with a warning', {type: 'system', subtype: 'api_retry', error_status: 529, error: 'overloaded'}, 'retrying'],
    ['api_retry 408 fails (not a 429 or 5xx)', {type: 'system', subtype: 'api_retry', error_status: 408, error: 'server_error'}, 'failed'],
    // Claude Code 2.1.328 against a closed port: no status, category "unknown" (captured from the real binary).
    ['api_retry without a status fails (connection refused)', {type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 10, retry_delay_ms: 543, error_status: null, error: 'unknown', session_id: 's', uuid: 'u'}, 'failed'],
    ['api_retry with the status missing altogether fails', {type: 'system', subtype: 'api_retry', error: 'unknown'}, 'failed'],
  ]
  for (const [what, ev, kind] of health) {
    it(what, () => {
      expect(healthSignal(ev)?.kind).to.equal(kind)
    })
  }

  it('names the status, category and attempt in a retry warning', () => {
    const signal = healthSignal({type: 'system', subtype: 'api_retry', attempt: 2, max_retries: 10, error_status: 503, error: 'server_error'})
    expect(signal).to.deep.equal({kind: 'retrying', warning: {type: 'api_retry', status: 503, error: 'server_error', attempts: 2, message: 'the model API answered 503 (server_error) during start-up; claude is retrying (attempt 2 of 10)'}})
  })

  it('says an unreachable API could not be reached', () => {
    const signal = healthSignal({type: 'system', subtype: 'api_retry', error_status: null, error: 'unknown'})
    expect(signal).to.have.property('reason').that.matches(/could not be reached \(no HTTP status, error "unknown"/)
  })
})

import {expect} from 'chai'

import {summarise} from '../../../../src/lib/worker/stream/summary.js'

const line = (ev: object) => JSON.stringify(ev)

describe('stream-json: summary', () => {
  it('summarises session, cost and turns from the last result', () => {
    const s = summarise([
      line({type: 'system', subtype: 'init', session_id: 'abc'}),
      'not json',
      line({type: 'result', is_error: false, num_turns: 4, total_cost_usd: 0.25, result: 'ok', session_id: 'abc'}),
    ])
    expect(s).to.deep.equal({sessionId: 'abc', costUsd: 0.25, numTurns: 4, isError: false, text: 'ok'})
  })
})

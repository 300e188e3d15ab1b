import {expect} from 'chai'

import {chainOf} from '../../../src/lib/registry/index.js'
import {normalise} from '../../../src/lib/registry/record.js'
import {record} from '../../support/dispatch-facts.js'

describe("a record's watch keys", () => {
  it('reads an old record as attempt 1 of round 0, not watched, and leaves its shape alone', () => {
    const old = normalise(record({}))
    expect(chainOf(old)).to.deep.equal({attempt: 1, round: 0, watched: false})
    expect(JSON.parse(JSON.stringify(old))).not.to.have.any.keys('attempt', 'round', 'watched', 'continues', 'continuation', 'watch_stop', 'given_up', 'watch_done', 'tracker_comment_id')
  })

  it('keeps well-typed keys and drops ill-typed ones (a hand-edited record must not mislead watch)', () => {
    const good = {attempt: 2, round: 1, continues: '4242', continuation: 'retry', watched: true, watch_stop: 'stalled', given_up: null, watch_done: 'merged', tracker_comment_id: 9} as const
    expect(normalise(record(good))).to.include(good)
    const bad = normalise(record({attempt: '2', round: -1, continues: 7, continuation: 'later', watched: 'yes', watch_stop: 'bored', watch_done: true, tracker_comment_id: 1.5} as never))
    expect(JSON.parse(JSON.stringify(bad))).not.to.have.any.keys('attempt', 'round', 'continues', 'continuation', 'watched', 'watch_stop', 'watch_done', 'tracker_comment_id')
    expect(chainOf(bad)).to.deep.equal({attempt: 1, round: 0, watched: false})
  })
})

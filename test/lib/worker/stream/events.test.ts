import {expect} from 'chai'

import {parseLine} from '../../../../src/lib/worker/stream/events.js'

describe('stream-json: events', () => {
  it('parses only JSON objects', () => {
    expect(parseLine('[1]')).to.equal(undefined)
    expect(parseLine('{"type":"x"}')).to.deep.equal({type: 'x'})
  })
})

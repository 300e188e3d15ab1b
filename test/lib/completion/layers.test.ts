import {expect} from 'chai'

import {refCommands} from '../../../src/lib/completion/layers.js'

describe('refCommands', () => {
  it('takes the visible commands whose first argument is a ref, with the flags that take a value', () => {
    const got = refCommands([
      {id: 'status', args: {ref: {}}, flags: {json: {type: 'boolean'}, pid: {type: 'option'}, since: {type: 'option', char: 's'}, all: {type: 'boolean'}}},
      {id: 'reap', args: {}, flags: {config: {type: 'option'}}},
      {id: 'sidequests:conflicts', args: {path: {}}, flags: {}},
      {id: 'secret', hidden: true, args: {ref: {}}, flags: {}},
      {id: 'attach', args: {ref: {}}, flags: {config: {type: 'option'}}},
    ])
    expect(got).to.deep.equal([
      {words: 'attach', valueFlags: ['--config']},
      {words: 'status', valueFlags: ['--pid', '--since', '-s']},
    ])
  })
})

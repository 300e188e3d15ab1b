import {expect} from 'chai'

import {parseFastArgs} from '../../src/fast.js'

describe('start-up fast path', () => {
  const table: Array<[string[], ReadonlyArray<'all'>, object | undefined]> = [
    [['a', 'b'], [], {json: false, all: false, positional: ['a', 'b']}],
    [['--json', 'a'], [], {json: true, all: false, positional: ['a']}],
    [['--config', 'c.yaml', 'a'], [], {json: false, all: false, config: 'c.yaml', positional: ['a']}],
    [['--config=c.yaml'], [], {json: false, all: false, config: 'c.yaml', positional: []}],
    [['--', '--weird-path'], [], {json: false, all: false, positional: ['--weird-path']}],
    [['--all'], ['all'], {json: false, all: true, positional: []}],
    // Anything else is oclif's to explain.
    [['--all'], [], undefined],
    [['--help'], [], undefined],
    [['-h'], [], undefined],
    [['--jsn'], [], undefined],
    [['--config'], [], undefined],
  ]
  for (const [args, allowed, expected] of table) {
    it(`${JSON.stringify(args)} → ${expected ? 'fast' : 'oclif'}`, () => {
      expect(parseFastArgs(args, allowed)).to.deep.equal(expected)
    })
  }
})

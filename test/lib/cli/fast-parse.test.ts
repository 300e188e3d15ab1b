import {expect} from 'chai'

import {parseDispatchArgv, parseWithTable} from '../../../src/cli/fast-parse.js'

describe('start-up fast path parser for the dispatching commands (src/cli/fast-parse.ts)', () => {
  const R = 'acme/api#1'
  const table: Array<['headless' | 'cascade' | 'interactive', string[], object | undefined]> = [
    ['headless', [R], {own: [R], refs: [R], flags: {worktree: true}, claude: []}],
    ['headless', ['--dry-run', R, '--json'], {own: ['--dry-run', R, '--json'], refs: [R], flags: {'dry-run': true, json: true, worktree: true}, claude: []}],
    ['headless', [R, '--claims', 'a,b', '--claims=c', '--allowed-tools', 'Read'], {own: [R, '--claims', 'a,b', '--claims=c', '--allowed-tools', 'Read'], refs: [R], flags: {claims: ['a,b', 'c'], 'allowed-tools': ['Read'], worktree: true}, claude: []}],
    ['headless', [R, '--no-worktree', '--dry-run=true', '--force=false'], {own: [R, '--no-worktree', '--dry-run'], refs: [R], flags: {worktree: false, 'dry-run': true}, claude: []}],
    ['headless', [R, '--worktree=false', '--setup=true'], {own: [R, '--no-worktree', '--setup'], refs: [R], flags: {worktree: false, setup: true}, claude: []}],
    ['headless', [R, '--', '--model', 'x', '-h'], {own: [R], refs: [R], flags: {worktree: true}, claude: ['--model', 'x', '-h']}],
    ['headless', ['--config', 'c.yaml', R, 'acme/api#2', '--limit', '3'], {own: ['--config', 'c.yaml', R, 'acme/api#2', '--limit', '3'], refs: [R, 'acme/api#2'], flags: {config: 'c.yaml', limit: 3, worktree: true}, claude: []}],
    ['cascade', [R, '--depth=2', '--runner', 'slurm', '--wait-start'], {own: [R, '--depth=2', '--runner', 'slurm', '--wait-start'], refs: [R], flags: {depth: 2, runner: 'slurm', 'wait-start': true, worktree: true}, claude: []}],
    ['interactive', [R, '--surface', 'print'], {own: [R, '--surface', 'print'], refs: [R], flags: {surface: 'print', posture: 'watch', worktree: true}, claude: []}],
    // oclif's to parse or to explain.
    ['headless', [], undefined],
    ['headless', ['--dry-run'], undefined],
    ['headless', ['--', R], undefined],
    ['headless', [R, '--help'], undefined],
    ['headless', [R, '-h'], undefined],
    ['headless', [R, '-'], undefined],
    ['headless', [R, '--bogus'], undefined],
    ['headless', [R, '--model'], undefined],
    ['headless', [R, '--model', '--force'], undefined],
    ['headless', [R, '--model='], undefined],
    ['headless', [R, '--model', 'a', '--model', 'b'], undefined],
    ['headless', [R, '--permission-mode', 'yolo'], undefined],
    ['headless', [R, '--dry-run=maybe'], undefined],
    ['headless', [R, '--no-force'], undefined],
    ['headless', [R, '--limit', '0'], undefined],
    ['headless', [R, '--depth', '2'], undefined],
    ['cascade', [R, '--depth', '6'], undefined],
    ['cascade', [R, '--depth', '1.5'], undefined],
    ['interactive', [], undefined],
    ['interactive', [R, 'acme/api#2'], undefined],
    ['interactive', [R, '--label', 'x'], undefined],
    ['interactive', [R, '--posture', 'yolo'], undefined],
    ['headless', [R, '--constructor', 'x'], undefined],
  ]
  for (const [id, argv, expected] of table) {
    it(`${id} ${JSON.stringify(argv)} → ${expected ? 'fast' : 'oclif'}`, () => {
      expect(parseDispatchArgv(id, argv)).to.deep.equal(expected)
    })
  }

  it('orders the refs as oclif does: by where each first occurs', () => {
    expect(parseDispatchArgv('headless', ['--repo', 'acme/api#2', R, 'acme/api#2'])?.refs).to.deep.equal(['acme/api#2', R])
  })

  it('flags that exclude each other: oclif explains', () => {
    const table = {sandbox: {type: 'string', description: '', options: ['bubblewrap', 'none']}, 'no-sandbox': {type: 'boolean', description: '', exclusive: ['sandbox']}} as const
    expect(parseWithTable(table, true, [R, '--no-sandbox'])?.flags).to.deep.equal({'no-sandbox': true})
    expect(parseWithTable(table, true, [R, '--sandbox=none'])?.flags).to.deep.equal({sandbox: 'none'})
    expect(parseWithTable(table, true, [R, '--sandbox', 'none', '--no-sandbox'])).to.equal(undefined)
  })
})

import {expect} from 'chai'

import {parseErrorMessage} from '../../src/cli/base.js'
import {splitPassThrough} from '../../src/cli/dispatching.js'
import {editDistance} from '../../src/lib/similar.js'
import {classifyUnknownCommand, closestCommand} from '../../src/lib/unknown-command.js'

const IDS = ['attach', 'cascade', 'doctor', 'headless', 'interactive', 'reap', 'status', 'sidequests:conflicts', 'sidequests:list', 'sidequests:prune', 'help', 'autocomplete']
const known = {ids: IDS, isTopic: (id: string) => id === 'sidequests'}

describe('unknown commands', () => {
  describe('classifyUnknownCommand (oclif id and argv → what to say)', () => {
    const table: Array<[string, string[], object]> = [
      // oclif joins leading words into the id with a space topic separator.
      ['stauts:acme/api#1', [], {kind: 'unknown', typed: 'stauts', suggestion: 'status'}],
      ['stauts', ['--json'], {kind: 'unknown', typed: 'stauts', suggestion: 'status'}],
      ['hedless:acme/api#1', ['--claims', 'src'], {kind: 'unknown', typed: 'hedless', suggestion: 'headless'}],
      ['hedless:https://github.com/acme/api/issues/1', [], {kind: 'unknown', typed: 'hedless', suggestion: 'headless'}],
      ['sidequests:lsit', [], {kind: 'unknown', typed: 'sidequests lsit', suggestion: 'sidequests list'}],
      ['sidequests:lsit:src/a', [], {kind: 'unknown', typed: 'sidequests lsit', suggestion: 'sidequests list'}],
      ['conflicts:src/a', [], {kind: 'unknown', typed: 'conflicts', suggestion: 'sidequests conflicts'}],
      ['doc', [], {kind: 'unknown', typed: 'doc', suggestion: 'doctor'}],
      ['sidequest:list', [], {kind: 'unknown', typed: 'sidequest', suggestion: 'sidequests list'}],
      ['sidequest:prune', ['--json'], {kind: 'unknown', typed: 'sidequest', suggestion: 'sidequests prune'}],
      ['sidequest', ['list'], {kind: 'unknown', typed: 'sidequest', suggestion: 'sidequests list'}],
      ['xyzzy', [], {kind: 'unknown', typed: 'xyzzy', suggestion: undefined}],
      ['--bogus', [], {kind: 'unknown', typed: '--bogus'}],
      // Flags typed before a real command.
      ['--json', ['status', '--all'], {kind: 'unknown', typed: '--json', suggestion: 'status --json --all', flagsFirst: true}],
      ['--json', ['sidequests', 'list'], {kind: 'unknown', typed: '--json', suggestion: 'sidequests list --json', flagsFirst: true}],
      // References where the mode belongs.
      ['acme/api#1', [], {kind: 'ref', ref: 'acme/api#1'}],
      ['acme/api#1', ['--claims', 'src'], {kind: 'ref', ref: 'acme/api#1'}],
      ['acme/api#1:acme/api#2', [], {kind: 'ref', ref: 'acme/api#1'}],
      ['https://github.com/acme/api/issues/1', [], {kind: 'ref', ref: 'https://github.com/acme/api/issues/1'}],
      ['12', [], {kind: 'ref', ref: '12'}],
      ['--json', ['acme/api#1'], {kind: 'ref', ref: 'acme/api#1'}],
    ]
    for (const [id, argv, expected] of table) {
      it(`${id} ${argv.join(' ')}`.trim(), () => {
        expect(classifyUnknownCommand(id, argv, known)).to.deep.equal(expected)
      })
    }
  })

  it('closestCommand names only commands that are close', () => {
    expect(closestCommand('intercative', IDS)).to.equal('interactive')
    expect(closestCommand('STATUS', IDS)).to.equal('status')
    expect(closestCommand('list', IDS)).to.equal('sidequests list')
    expect(closestCommand('q', IDS)).to.equal(undefined)
    expect(closestCommand('deploy', IDS)).to.equal(undefined)
  })

  it('editDistance', () => {
    expect(editDistance('stauts', 'status')).to.equal(2)
    expect(editDistance('', 'abc')).to.equal(3)
    expect(editDistance('reap', 'reap')).to.equal(0)
  })
})

describe('argv helpers', () => {
  const splits: Array<[string[], {own: string[]; claude: string[]}]> = [
    [['acme/api#1', '--dry-run'], {own: ['acme/api#1', '--dry-run'], claude: []}],
    [['--claims', 'src', 'acme/api#1', '--', '--claims', 'x', '--'], {own: ['--claims', 'src', 'acme/api#1'], claude: ['--claims', 'x', '--']}],
    [['--', 'acme/api#1'], {own: [], claude: ['acme/api#1']}],
  ]
  for (const [argv, expected] of splits) {
    it(`splitPassThrough ${argv.join(' ')}`, () => expect(splitPassThrough(argv)).to.deep.equal(expected))
  }

  it('parseErrorMessage puts oclif\'s message on one line without its advice', () => {
    const missing = 'Missing 1 required arg:\nref  Issue reference: owner/repo#N or an issue URL.\n\nNote: --claims allows multiple values.\nAlternatively, you can use "--" to signify the end of the flags.\nSee more help with --help'
    expect(parseErrorMessage(missing)).to.equal('Missing 1 required arg: ref — Issue reference: owner/repo#N or an issue URL.')
    expect(parseErrorMessage('Nonexistent flag: --max-turns\nSee more help with --help')).to.equal('Nonexistent flag: --max-turns')
    const wrapped = 'Missing 1 required arg:\npath  Paths you are about to edit (relative to the current directory, in the\n      checkout or any worktree).\nSee more help with --help'
    expect(parseErrorMessage(wrapped)).to.equal('Missing 1 required arg: path — Paths you are about to edit (relative to the current directory, in the checkout or any worktree).')
    expect(parseErrorMessage('Parsing --limit \n\tExpected an integer greater than or equal to 1 but received: 0\nSee more help with --help')).to.equal('Parsing --limit; Expected an integer greater than or equal to 1 but received: 0')
    expect(parseErrorMessage('Missing 2 required args:\nref  The ref.\nother  The other.')).to.equal('Missing 2 required args: ref — The ref.; other — The other.')
  })
})

describe('the command_not_found hook', () => {
  it('prints through the reporter and leaves exiting to node (no process.exit after a write)', async () => {
    const {default: hook} = await import('../../src/hooks/command-not-found.js')
    const exits: number[] = []
    const written: string[] = []
    const write = process.stdout.write
    const saved = process.exitCode
    process.stdout.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stdout.write
    try {
      const ctx = {exit: (code: number) => exits.push(code), error: () => {}, log: () => {}, warn: () => {}, debug: () => {}, config: {}}
      const config = {bin: 'dispatch', commands: IDS.map((id) => ({id, hidden: false})), findTopic: (id: string) => (id === 'sidequests' ? {} : undefined)}
      await (hook as unknown as (this: unknown, opts: unknown) => Promise<void>).call(ctx, {id: 'stauts', argv: ['--json'], config})
      expect(exits, 'this.exit ends in process.exit, which can cut off a pipe').to.deep.equal([])
      expect(process.exitCode).to.equal(127)
      expect(JSON.parse(written.join(''))).to.deep.equal({error: {code: 'unknown_command', exit_code: 127, message: '"stauts" is not a dispatch command.', suggestion: 'Did you mean: dispatch status? See: dispatch help'}})
    } finally {
      process.stdout.write = write
      process.exitCode = saved
    }
  })
})

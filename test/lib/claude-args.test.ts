import {expect} from 'chai'

import {checkExtraArgs, claudeOverrides, headlessArgs, interactiveArgs, type ClaudeOptions} from '../../src/lib/claude-args.js'

const base: ClaudeOptions = {permissionMode: 'acceptEdits', allowedTools: ['Read', 'Bash'], model: 'opus', maxBudgetUsd: 2, extraArgs: []}

describe('claude argv: a later extra argument overrides a setting dispatch passes (src/lib/claude-args.ts)', () => {
  const table: Array<[string[], string[], Array<[string, string, string]>]> = [
    [[], ['--permission-mode', 'acceptEdits', '--allowedTools', 'Read,Bash', '--model', 'opus', '--max-budget-usd', '2'], []],
    [['--permission-mode', 'plan'], ['--allowedTools', 'Read,Bash', '--model', 'opus', '--max-budget-usd', '2', '--permission-mode', 'plan'], [['--permission-mode', 'acceptEdits', 'plan']]],
    [['--model=haiku', '--model', 'sonnet'], ['--permission-mode', 'acceptEdits', '--allowedTools', 'Read,Bash', '--max-budget-usd', '2', '--model=haiku', '--model', 'sonnet'], [['--model', 'opus', 'sonnet']]],
    [['--max-budget-usd', '2'], ['--permission-mode', 'acceptEdits', '--allowedTools', 'Read,Bash', '--model', 'opus', '--max-budget-usd', '2'], []],
    // --allowedTools adds up in claude: not an override.
    [['--allowedTools', 'Grep'], ['--permission-mode', 'acceptEdits', '--allowedTools', 'Read,Bash', '--model', 'opus', '--max-budget-usd', '2', '--allowedTools', 'Grep'], []],
    // An option's name as the last word has no value: nothing overridden.
    [['--append-system-prompt', 'x', '--model'], ['--permission-mode', 'acceptEdits', '--allowedTools', 'Read,Bash', '--model', 'opus', '--max-budget-usd', '2', '--append-system-prompt', 'x', '--model'], []],
  ]
  for (const [extra, args, overrides] of table) {
    it(`${JSON.stringify(extra)}`, () => {
      const o = {...base, extraArgs: extra}
      expect(headlessArgs(o)).to.deep.equal(['-p', '--output-format', 'stream-json', '--verbose', ...args])
      expect(claudeOverrides(o).map((x) => [x.option, x.dispatch, x.claude])).to.deep.equal(overrides)
    })
  }

  it('an interactive session passes no budget, so a budget after -- overrides nothing', () => {
    expect(interactiveArgs({...base, extraArgs: ['--max-budget-usd', '5']})).to.deep.equal(['--permission-mode', 'acceptEdits', '--allowedTools', 'Read,Bash', '--model', 'opus', '--max-budget-usd', '5'])
  })

  it('--output-format other than stream-json is a usage error for a headless worker', () => {
    expect(() => checkExtraArgs(['--output-format=json'])).to.throw(/--output-format json after --/).with.property('exitCode', 2)
    expect(() => checkExtraArgs(['--output-format', 'stream-json'])).not.to.throw()
    expect(interactiveArgs({...base, extraArgs: ['--output-format', 'json']})).to.include('json')
  })
})

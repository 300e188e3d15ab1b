import {expect} from 'chai'

import {terminalRefusal} from '../../src/lib/attach.js'
import {resumeArgs} from '../../src/lib/claude.js'
import {UsageError} from '../../src/lib/errors.js'
import type {SidequestRecord} from '../../src/lib/registry/index.js'

describe('attach decisions', () => {
  const record = {ref: 'acme/api#2', cwd: '/w/issue 2', claude_session_id: 'sess-1'} as SidequestRecord

  const table: Array<[boolean, boolean, string | undefined]> = [
    [true, true, undefined],
    [false, true, 'stdin is not a terminal'],
    [true, false, 'stdout is not a terminal'],
    [false, false, 'stdin and stdout are not terminals'],
  ]
  for (const [stdin, stdout, why] of table) {
    it(`terminalRefusal(stdin ${stdin}, stdout ${stdout})`, () => {
      const refusal = terminalRefusal(record, stdin, stdout)
      if (!why) return expect(refusal).to.equal(undefined)
      expect(refusal).to.be.instanceOf(UsageError)
      expect(refusal!.message).to.equal(`dispatch attach needs a terminal: it opens acme/api#2's Claude session interactively, and ${why}.`)
      expect(refusal!.suggestion).to.include("cd '/w/issue 2' && claude --resume sess-1")
    })
  }

  it('resumeArgs carries mode, tools, model and extra args, never a budget', () => {
    expect(resumeArgs('s', {permissionMode: 'plan', allowedTools: ['Read', 'Grep'], extraArgs: []})).to.deep.equal(['--resume', 's', '--permission-mode', 'plan', '--allowedTools', 'Read,Grep'])
    const withBudget = {permissionMode: 'auto', allowedTools: ['Read'], model: 'm', extraArgs: ['--verbose'], maxBudgetUsd: 5}
    expect(resumeArgs('s', withBudget)).to.deep.equal(['--resume', 's', '--permission-mode', 'auto', '--allowedTools', 'Read', '--model', 'm', '--verbose'])
  })
})

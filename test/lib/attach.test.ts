import {expect} from 'chai'

import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {resumeInForeground, terminalRefusal} from '../../src/lib/attach.js'
import {startSession} from '../../src/lib/interactive/session.js'
import {Registry} from '../../src/lib/registry/index.js'
import {exitCodeOf} from '../../src/lib/worker/exit.js'
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

describe('one reading of how a process ended (attach, interactive session, supervisor)', function () {
  this.timeout(20_000)
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-exit-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  // A real process that ends the way the row says: by its own code, or killed by a signal.
  const ends: Array<[string, string, number]> = [
    ['exit 3', 'exit 3', 3],
    ['Ctrl-C (SIGINT)', 'kill -INT $$', 130],
    ['SIGTERM', 'kill -TERM $$', 143],
    ['SIGKILL', 'kill -KILL $$', 137],
  ]
  for (const [what, script, want] of ends) {
    it(`${what}: ${want} from attach, from the interactive session, and from exitCodeOf`, async () => {
      const record = {ref: 'acme/api#2', cwd: dir, claude_session_id: 's'} as SidequestRecord
      expect(await resumeInForeground('sh', ['-c', script], record, {PATH: process.env.PATH})).to.equal(want)
      const spec = {
        claudeBin: 'sh',
        args: ['-c', script],
        prompt: '',
        cwd: dir,
        env: {PATH: process.env.PATH},
        stateDir: path.join(dir, 'state'),
        record: {schema_version: 2, mode: 'interactive', ref: 'acme/api#2', forge: 'github', url: '', title: 't', started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], cwd: dir, branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null},
      } as Parameters<typeof startSession>[0]
      const session = startSession(spec, new Registry({stateDir: spec.stateDir}))
      const {pid} = await session.started
      expect(await session.exited).to.equal(want)
      expect((await new Registry({stateDir: spec.stateDir}).get(pid))?.exit_code).to.equal(want)
      const signal = script.startsWith('kill') ? (`SIG${script.split(' ')[1].slice(1)}` as NodeJS.Signals) : null
      expect(exitCodeOf(signal ? null : 3, signal)).to.equal(want)
    })
  }
})

import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {makeRepo, runCli, waitFor, writeConfig} from '../support/helpers.js'
import {records} from '../support/state.js'

describe('refused tool calls (permission_denials) through the binary', function () {
  this.timeout(60_000)
  const t = useForgeSandbox()
  let {forge, sb, env} = t

  beforeEach(() => {
    ;({forge, sb, env} = t)
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.'})
  })

  it('warns in the health window, and puts them in the record, status (list, block, --json) and the finish notification', async () => {
    const events = path.join(sb.dir, 'events.jsonl')
    const vars = path.join(sb.dir, 'vars.txt')
    writeConfig(sb, {github: forge.github}, {notify: {command: `cat >> ${events}; echo "$DISPATCH_PERMISSION_DENIALS $DISPATCH_DENIED_TOOLS" >> ${vars}`}})
    const release = path.join(sb.dir, 'release')
    const res = await runCli(['headless', 'acme/api#12', '--permission-mode', 'auto'], {env: {...env, STANDIN_REFUSE: '1', STANDIN_HOLD_FILE: release}})
    expect(res.code, res.stderr).to.equal(0)
    // Said while dispatch still waits on the worker, not only in the log tail.
    expect(res.stderr).to.match(/warning: claude refused the worker's first tool calls? \(permission mode auto\): Bash[^\n]*Auto mode is unavailable[^\n]*Check claude\.permissionMode and --allowed-tools/)

    writeFileSync(release, '')
    const ended = await waitFor('the end in the record', () => records(sb).find((r) => r.ended_at))
    expect(ended.permission_denials).to.deep.equal({count: 3, tools: ['Bash', 'Write']})
    expect(ended.exit_code).to.equal(0)

    const list = await runCli(['status'], {env})
    expect(list.stdout).to.match(/EXITED 0, 3 REFUSED/)
    const block = await runCli(['status', 'acme/api#12'], {env})
    expect(block.stdout).to.match(/^state +EXITED 0, 3 REFUSED$/m)
    expect(block.stdout).to.match(/^refused +3 tool calls \(Bash, Write\): claude did not let the worker run them/m)
    const json = JSON.parse((await runCli(['status', '--json'], {env})).stdout)
    expect(json[0].permission_denials).to.deep.equal({count: 3, tools: ['Bash', 'Write']})
    expect(JSON.parse((await runCli(['status', 'acme/api#12', '--json'], {env})).stdout).permission_denials).to.deep.equal({count: 3, tools: ['Bash', 'Write']})

    const finished = await waitFor('the finish notification', () => {
      const lines = existsSync(events) ? readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []
      return lines.find((e) => e.event === 'finished')
    })
    expect(finished).to.deep.include({exit_code: 0, permission_denials: {count: 3, tools: ['Bash', 'Write']}})
    await waitFor('the notifier variables', () => existsSync(vars) && readFileSync(vars, 'utf8').includes('3 Bash,Write'))
  })

  it('a worker whose tools ran has zero denials and no warning', async () => {
    const res = await runCli(['headless', 'acme/api#12'], {env})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).not.to.include('refused')
    const ended = await waitFor('the end in the record', () => records(sb).find((r) => r.ended_at))
    expect(ended.permission_denials).to.deep.equal({count: 0, tools: []})
    expect((await runCli(['status'], {env})).stdout).to.match(/^EXITED 0\t/m)
  })
})

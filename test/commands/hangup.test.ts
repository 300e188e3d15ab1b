// A closed terminal (SIGHUP) during a dispatch is an interruption like Ctrl-C:
// before the worker exists everything made for it is undone; after, the
// detached worker keeps running. Before this, SIGHUP killed dispatch on the
// spot and left its lock, log and waiting supervisor behind.
import {expect} from 'chai'
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {filesUnder, isAlive, processesIn, startCli, waitFor, type Sandbox} from '../support/helpers.js'
import {auditLines, records} from '../support/state.js'

describe('SIGHUP during a dispatch (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}]})
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => ({sb, env} = t))

  it('before the worker exists: exit 129, nothing left (no record, lock, log or supervisor)', async () => {
    const run = startCli(['headless', 'acme/api#12'], {env: {...env, DISPATCH_FAULT_PAUSE: 'after-spawn'}, cwd: sb.dir})
    await run.waitFor('dispatch to reach after-spawn', () => existsSync(path.join(sb.stateDir, 'fault-after-spawn')))
    expect(readdirSync(path.join(sb.stateDir, 'locks'))).to.deep.equal(['dispatch.lock'])
    process.kill(run.pid, 'SIGHUP')
    const res = await run.done
    expect(res.signal, 'dispatch handled the signal instead of dying of it').to.equal(null)
    expect(res.code, res.stderr).to.equal(129)
    expect(res.stderr).to.match(/interrupted before the worker started; nothing was started/i)
    expect(records(sb)).to.deep.equal([])
    expect(readdirSync(path.join(sb.stateDir, 'locks'))).to.deep.equal([])
    expect(filesUnder(path.join(sb.stateDir, 'logs'))).to.deep.equal([])
    await waitFor('no process left in the sandbox (the supervisor)', () => processesIn(sb.dir).length === 0)
    expect(auditLines(sb)[0]).to.include({command: 'headless', ref: 'acme/api#12', outcome: 'interrupted', exit_code: 129})
  })

  it('after the record is written: the worker keeps running and dispatch says so', async () => {
    const run = startCli(['headless', 'acme/api#12'], {env: {...env, DISPATCH_FAULT_PAUSE: 'after-record'}, cwd: sb.dir})
    await run.waitFor('dispatch to reach after-record', () => existsSync(path.join(sb.stateDir, 'fault-after-record')))
    const [record] = records(sb)
    process.kill(run.pid, 'SIGHUP')
    const res = await run.done
    expect(res.code, res.stderr).to.equal(129)
    expect(res.stderr).to.include(`worker pid ${record.pid} keeps running`)
    expect(isAlive(record.pid)).to.equal(true)
  })
})

// A closed terminal (SIGHUP) during a dispatch is an interruption like Ctrl-C:
// before the worker exists everything made for it is undone; after, the
// detached worker keeps running. Before this, SIGHUP killed dispatch on the
// spot and left its lock, log and waiting supervisor behind.
import {expect} from 'chai'
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {startFakeForge} from '../support/fake-forge.mjs'
import {filesUnder, isAlive, killQuietly, makeRepo, makeSandbox, processesIn, startCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {auditLines, records} from '../support/state.js'

type FakeForge = Awaited<ReturnType<typeof startFakeForge>>

describe('SIGHUP during a dispatch (through the binary)', function () {
  this.timeout(60_000)
  let forge: FakeForge
  let sb: Sandbox
  let env: NodeJS.ProcessEnv

  beforeEach(async () => {
    forge = await startFakeForge()
    sb = makeSandbox()
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
    writeConfig(sb, {github: forge.github})
    env = {...sb.env, STANDIN_HOLD_FILE: path.join(sb.dir, 'release')}
  })
  afterEach(async () => {
    writeFileSync(path.join(sb.dir, 'release'), '')
    const pids = new Set<number>(processesIn(sb.dir))
    for (const r of records(sb)) pids.add(r.pid), r.supervisor_pid && pids.add(r.supervisor_pid)
    await waitFor('workers to exit', () => [...pids].every((p) => !isAlive(p)), 10_000).catch(() => killQuietly(pids))
    forge.verify()
    await forge.close()
    sb.cleanup()
  })

  it('before the worker exists: exit 129, nothing left (no record, lock, log or supervisor)', async () => {
    const run = startCli(['headless', 'acme/api#12'], {env: {...env, DISPATCH_FAULT_PAUSE: 'after-spawn'}, cwd: sb.dir})
    await waitFor('dispatch to reach after-spawn', () => existsSync(path.join(sb.stateDir, 'fault-after-spawn')))
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
    await waitFor('dispatch to reach after-record', () => existsSync(path.join(sb.stateDir, 'fault-after-record')))
    const [record] = records(sb)
    process.kill(run.pid, 'SIGHUP')
    const res = await run.done
    expect(res.code, res.stderr).to.equal(129)
    expect(res.stderr).to.include(`worker pid ${record.pid} keeps running`)
    expect(isAlive(record.pid)).to.equal(true)
  })
})

// Issue #11 (4, 5): "started" means started, and Ctrl-C / SIGTERM during a
// dispatch says what it left behind. Real binary, real stand-in claude, real signals.
import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {filesUnder, isAlive, makeRepo, processesIn, runCli, startCli, waitFor} from '../support/helpers.js'
import {auditLines, records} from '../support/state.js'

describe('worker start-up: unreachable API, retries, signals (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true})
  let {forge, sb, env} = t

  beforeEach(() => {
    ;({forge, sb, env} = t)
    makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
  })

  describe('api_retry inside the health window', () => {
    it('an unreachable API (api_retry without a status) fails like a 401: exit 1, crashed record, tail, worker gone', async () => {
      const res = await runCli(['headless', 'acme/api#12'], {env: {...env, STANDIN_MODE: 'retry', STANDIN_RETRY_STATUS: 'none'}, cwd: sb.dir})
      expect(res.code, res.stderr).to.equal(1)
      expect(res.stderr).to.match(/failed to start: the model API could not be reached \(no HTTP status, error "unknown"/)
      expect(res.stderr).to.not.match(/Started/)
      expect(res.stderr).to.match(/Last lines of the worker's log:\n(.*\n)*.*API error \(no status, unknown\), retrying \(attempt 1\)/)
      const [record] = records(sb)
      expect(record).to.include({crashed: true})
      expect(record.error).to.match(/could not be reached/)
      expect(record.ended_at).to.be.a('string')
      await waitFor('the worker to be gone', () => !isAlive(record.pid))
      expect(auditLines(sb)[0]).to.include({outcome: 'failure', exit_code: 1})
    })

    it('429/5xx retries are a warning (stderr and --json warnings), and the dispatch proceeds', async () => {
      const res = await runCli(['headless', '--json', 'acme/api#12'], {env: {...env, STANDIN_MODE: 'retry', STANDIN_RETRY_STATUS: '503', STANDIN_RETRIES: '2'}, cwd: sb.dir})
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.match(/^warning: the model API answered 503 \(server_error\) during start-up; claude is retrying \(attempt 2 of 10\)$/m)
      const out = JSON.parse(res.stdout)
      expect(out.health).to.equal('replied')
      expect(out.warnings).to.deep.equal([{type: 'api_retry', status: 503, error: 'server_error', attempts: 2, message: 'the model API answered 503 (server_error) during start-up; claude is retrying (attempt 2 of 10)'}])
      expect(records(sb)[0]).to.not.have.property('crashed')
      expect(isAlive(out.pid)).to.equal(true)
    })

    it('a worker still retrying a 529 when the window closes is started, with the warning, not "error-free"', async () => {
      // The window closes when the test says so: after the worker's log shows a retry.
      const close = path.join(sb.dir, 'close-health-window')
      const cli = startCli(['headless', 'acme/api#12'], {env: {...env, STANDIN_MODE: 'retry', STANDIN_RETRY_STATUS: '529', DISPATCH_FAULT_HEALTH_FILE: close}, cwd: sb.dir})
      const record = await cli.waitFor('the record', () => records(sb)[0])
      await cli.waitFor('a retry in the log', () => existsSync(record.log_path) && readFileSync(record.log_path, 'utf8').includes('"api_retry"'))
      writeFileSync(close, '')
      const res = await cli.done
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.match(/warning: the model API answered 529 \(overloaded\)/)
      expect(res.stderr).to.match(/✓ Started headless worker for acme\/api#12 \(alive after 60000 ms, claude still retrying the API\)/)
      expect(res.stderr).to.not.match(/error-free/)
    })
  })

  describe('SIGINT / SIGTERM during a dispatch', () => {
    /** What an interruption before the worker must not leave. */
    function expectNothingLeft(): void {
      expect(records(sb), 'records').to.deep.equal([])
      expect(readdirSync(path.join(sb.stateDir, 'locks')), 'locks').to.deep.equal([])
      expect(filesUnder(path.join(sb.stateDir, 'logs')), 'logs').to.deep.equal([])
      expect(existsSync(sb.recordDir) ? readdirSync(sb.recordDir) : [], 'stand-ins started').to.deep.equal([])
    }

    it('SIGINT with the supervisor spawned but no worker yet: exit 130, says so, no record, lock, log or process left', async () => {
      const run = startCli(['headless', 'acme/api#12'], {env: {...env, DISPATCH_FAULT_PAUSE: 'after-spawn'}, cwd: sb.dir})
      await run.waitFor('dispatch to reach after-spawn', () => existsSync(path.join(sb.stateDir, 'fault-after-spawn')))
      // The state the interruption must undo is there: the lock is held and the log exists.
      expect(readdirSync(path.join(sb.stateDir, 'locks'))).to.deep.equal(['dispatch.lock'])
      expect(filesUnder(path.join(sb.stateDir, 'logs'))).to.have.length(1)
      process.kill(run.pid, 'SIGINT')
      const res = await run.done
      expect(res.code, res.stderr).to.equal(130)
      expect(res.stderr).to.match(/interrupted before the worker started; nothing was started/i)
      expectNothingLeft()
      await waitFor('no process left in the sandbox (the supervisor)', () => processesIn(sb.dir).length === 0)
      expect(auditLines(sb)[0]).to.include({command: 'headless', ref: 'acme/api#12', outcome: 'interrupted', exit_code: 130})
    })

    it('SIGTERM while holding the registry lock (worktree made): exit 143, the lock is released, nothing started', async () => {
      const run = startCli(['headless', 'acme/api#12', '--json'], {env: {...env, DISPATCH_FAULT_PAUSE: 'after-worktree'}, cwd: sb.dir})
      await run.waitFor('dispatch to reach after-worktree', () => existsSync(path.join(sb.stateDir, 'fault-after-worktree')))
      process.kill(run.pid, 'SIGTERM')
      const res = await run.done
      expect(res.code, res.stderr).to.equal(143)
      expect(JSON.parse(res.stdout).error).to.include({code: 'interrupted', exit_code: 143, message: 'Interrupted before the worker started; nothing was started.'})
      expectNothingLeft()
      // The next dispatch is not held up by a stale lock.
      const next = await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
      expect(next.code, next.stderr).to.equal(0)
    })

    it('SIGINT while the forge is still answering: exit 130, nothing made', async () => {
      // A slow forge: the answer would come long after the signal.
      forge.script('GET /gh-api/repos/acme/api/issues/12', [{status: 200, delayMs: 20_000}])
      const run = startCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
      await run.waitFor('the issue request to arrive', () => forge.requestsTo('/gh-api/repos/acme/api/issues/12').length > 0)
      process.kill(run.pid, 'SIGINT')
      const res = await run.done
      expect(res.code, res.stderr).to.equal(130)
      expect(res.stderr).to.match(/interrupted before the worker started/i)
      expect(existsSync(sb.worktreeRoot) ? readdirSync(sb.worktreeRoot) : []).to.deep.equal([])
      expect(records(sb)).to.deep.equal([])
    })

    it('SIGINT in the health window: says the worker keeps running, writes the audit line, the worker lives on', async () => {
      const run = startCli(['headless', 'acme/api#12'], {env: {...env, STANDIN_MODE: 'silent'}, cwd: sb.dir})
      const record = await run.waitFor('the record', () => records(sb)[0])
      process.kill(run.pid, 'SIGINT')
      const res = await run.done
      expect(res.code, res.stderr).to.equal(130)
      expect(res.stderr).to.include(`Interrupted; worker pid ${record.pid} keeps running (dispatch status acme/api#12).`)
      expect(isAlive(record.pid)).to.equal(true)
      expect(records(sb)[0]).to.not.have.property('ended_at')
      expect(auditLines(sb)[0]).to.include({command: 'headless', ref: 'acme/api#12', outcome: 'interrupted', exit_code: 130, pid: record.pid})
    })

    it('SIGTERM after the record is written (fault point): the same, exit 143', async () => {
      const run = startCli(['headless', 'acme/api#12'], {env: {...env, DISPATCH_FAULT_PAUSE: 'after-record'}, cwd: sb.dir})
      await run.waitFor('dispatch to reach after-record', () => existsSync(path.join(sb.stateDir, 'fault-after-record')))
      const [record] = records(sb)
      process.kill(run.pid, 'SIGTERM')
      const res = await run.done
      expect(res.code, res.stderr).to.equal(143)
      expect(res.stderr).to.match(new RegExp(`worker pid ${record.pid} keeps running`))
      expect(isAlive(record.pid)).to.equal(true)
      expect(auditLines(sb)[0]).to.include({outcome: 'interrupted', exit_code: 143, pid: record.pid})
    })
  })
})

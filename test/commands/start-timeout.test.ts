// A supervisor that never reports its worker started (stuck between starting
// claude and writing the record) is given up on after the start timeout. The
// claude it may already have started must not be left running without a
// supervisor or a record: dispatch asks the supervisor to stop it first.
import {expect} from 'chai'
import {existsSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {processesIn, runCli, waitFor, type Sandbox} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'

describe('a supervisor that never answers (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}]})
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => ({sb, env} = t))

  it('exit 1 with the reason; the claude it had started is stopped, not orphaned; no record', async () => {
    const res = await runCli(['headless', 'acme/api#12'], {
      env: {...env, DISPATCH_FAULT_PAUSE: 'supervisor-before-record', DISPATCH_FAULT_START_TIMEOUT_MS: '1500', STANDIN_MODE: 'silent'},
      cwd: sb.dir,
      timeoutMs: 30_000,
    })
    expect(res.code, res.stderr).to.equal(1)
    expect(res.stderr).to.match(/did not start: the supervisor did not answer/i)
    // The stand-in did start: the supervisor was stuck after that, before the record.
    expect(existsSync(path.join(sb.stateDir, 'fault-supervisor-before-record'))).to.equal(true)
    expect(standIns(sb)).to.have.length(1)
    const claudePid = standIns(sb)[0].pid
    await waitFor('the started claude to be gone', () => !existsSync(`/proc/${claudePid}`), 10_000)
    await waitFor('no process left in the sandbox', () => processesIn(sb.dir).length === 0, 10_000)
    expect(records(sb)).to.deep.equal([])
  })
})

// A supervisor that never reports its worker started (stuck between starting
// claude and writing the record) is given up on after the start timeout. The
// claude it may already have started must not be left running without a
// supervisor or a record: dispatch asks the supervisor to stop it first.
import {expect} from 'chai'
import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {processesIn, startCli, waitFor, type Sandbox} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'

describe('a supervisor that never answers (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}]})
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => ({sb, env} = t))

  it('exit 1 with the reason; the claude it had started is stopped, not orphaned; no record', async () => {
    // The start timeout fires when the test writes its file: once the stand-in runs and the supervisor is stuck after starting it, before the record.
    const timeUp = path.join(sb.dir, 'start-timeout')
    const cli = startCli(['headless', 'acme/api#12'], {
      env: {...env, DISPATCH_FAULT_PAUSE: 'supervisor-before-record', DISPATCH_FAULT_START_TIMEOUT_MS: '600000', DISPATCH_FAULT_START_TIMEOUT_FILE: timeUp, STANDIN_MODE: 'silent'},
      cwd: sb.dir,
    })
    await cli.waitFor('the supervisor stuck after starting the stand-in', () => existsSync(path.join(sb.stateDir, 'fault-supervisor-before-record')) && standIns(sb).length === 1)
    writeFileSync(timeUp, '')
    const res = await cli.done
    expect(res.code, res.stderr).to.equal(1)
    expect(res.stderr).to.match(/did not start: the supervisor did not answer/i)
    expect(standIns(sb)).to.have.length(1)
    const claudePid = standIns(sb)[0].pid
    await waitFor('the started claude to be gone', () => !existsSync(`/proc/${claudePid}`))
    await waitFor('no process left in the sandbox', () => processesIn(sb.dir).length === 0)
    expect(records(sb)).to.deep.equal([])
  })
})

// The smoke pass of `npm run test:quick`: one trip through the built binary
// for the commands people type first, against the loopback forge, a real git
// repository and the stand-in claude. The full behaviour is in test/commands.
import {expect} from 'chai'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {runCli, waitFor} from '../support/helpers.js'
import {records} from '../support/state.js'

describe('smoke: the built binary', function () {
  this.timeout(120_000)
  const t = useForgeSandbox({hold: true, repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}], env: {GH_TOKEN: 'ghp_SMOKETOKEN0123456789'}})

  it('--version and --help answer', async () => {
    const version = await runCli(['--version'], {env: t.env})
    expect(version.code, version.stderr).to.equal(0)
    expect(version.stdout).to.match(/issue-dispatch\/\d+\.\d+\.\d+/)
    const help = await runCli(['--help'], {env: t.env})
    expect(help.code, help.stderr).to.equal(0)
    expect(help.stdout).to.include('headless')
  })

  it('headless --dry-run plans, starts nothing; headless starts a worker; status sees it; stop ends it', async () => {
    const {sb, env} = t
    const dry = await runCli(['headless', 'acme/api#12', '--dry-run', '--json'], {env, cwd: sb.dir})
    expect(dry.code, dry.stderr).to.equal(0)
    expect(JSON.parse(dry.stdout)).to.have.property('ref', 'acme/api#12')
    expect(records(sb)).to.deep.equal([])

    const run = await runCli(['headless', 'acme/api#12'], {env, cwd: sb.dir})
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stderr).to.match(/✓ Started headless worker for acme\/api#12/)
    const [record] = records(sb)

    const status = await runCli(['status', 'acme/api#12', '--json'], {env, cwd: sb.dir})
    expect(status.code, status.stderr).to.equal(0)
    expect(JSON.parse(status.stdout)).to.include({active: true, pid: record.pid})

    const stop = await runCli(['stop', 'acme/api#12'], {env, cwd: sb.dir})
    expect(stop.code, stop.stderr).to.equal(0)
    await waitFor('the worker to record its end', () => records(sb).find((r) => r.ended_at))
  })
})

// After reap removed a worktree whose branch was pushed (its local branch goes
// with it), a second dispatch of the same issue continues from the pushed
// branch instead of starting over from the default branch.
import {expect} from 'chai'
import {utimesSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, runCli, waitFor, type Sandbox} from '../support/helpers.js'
import {records} from '../support/state.js'

describe('redispatch after reap (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}]})
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => ({sb, env} = t))

  it('the new worktree starts at the pushed tip of dispatch/issue-12-…, not at main', async () => {
    const first = await runCli(['headless', 'acme/api#12', '--json'], {env: {...env, STANDIN_COMMIT: '1'}, cwd: sb.dir})
    expect(first.code, first.stderr).to.equal(0)
    const {cwd, branch} = JSON.parse(first.stdout)
    await waitFor('the worker to end', () => records(sb)[0]?.ended_at)
    const tip = git(cwd, 'rev-parse', 'HEAD')
    expect(git(cwd, 'rev-list', '--count', 'origin/main..HEAD')).to.equal('1')
    git(cwd, 'push', '-q', 'origin', branch)
    // Old enough for reap (it spares worktrees made in the last two minutes).
    const old = new Date(Date.now() - 10 * 60_000)
    utimesSync(path.join(cwd, '.git'), old, old)
    const reaped = await runCli(['reap', '--json'], {env, cwd: sb.dir})
    expect(reaped.code, reaped.stderr).to.equal(0)
    expect(JSON.parse(reaped.stdout)).to.deep.include.members([{path: cwd, branch, action: 'removed', verdict: 'remove', reason: `every commit is on origin/${branch}`, rule: 'git'}])
    const checkout = path.join(sb.workspace, 'acme', 'api')
    expect(git(checkout, 'branch', '--list', branch)).to.equal('')

    const second = await runCli(['headless', 'acme/api#12', '--json'], {env, cwd: sb.dir})
    expect(second.code, second.stderr).to.equal(0)
    const again = JSON.parse(second.stdout)
    expect(again.branch).to.equal(branch)
    expect(git(again.cwd, 'rev-parse', 'HEAD')).to.equal(tip)
  })
})

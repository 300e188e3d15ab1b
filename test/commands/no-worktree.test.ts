// --no-worktree runs a worker in the checkout itself; a second one there, even
// with --force and another issue, would edit the same files under the first.
import {expect} from 'chai'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {runCli, waitFor, type Sandbox} from '../support/helpers.js'
import {records} from '../support/state.js'

describe('--no-worktree: one worker per working tree (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({
    hold: true,
    repos: ['acme/api'],
    issues: [
      {owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'},
      {owner: 'acme', repo: 'api', number: 13, title: 'Another thing'},
    ],
  })
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  beforeEach(() => ({sb, env} = t))

  it('a second --no-worktree worker in the same checkout is refused, --force or not (exit 3)', async () => {
    const first = await runCli(['headless', 'acme/api#12', '--no-worktree'], {env, cwd: sb.dir})
    expect(first.code, first.stderr).to.equal(0)
    await waitFor('the first record', () => records(sb)[0])
    for (const args of [['acme/api#13', '--no-worktree', '--force'], ['--force', '--no-worktree', 'acme/api#12']]) {
      const second = await runCli(['headless', ...args], {env, cwd: sb.dir})
      expect(second.code, second.stderr).to.equal(3)
      expect(second.stderr).to.match(/already runs in the checkout .*acme\/api; two workers must not share one working tree/)
    }
    expect(records(sb)).to.have.length(1)
    // With a worktree of its own, the other issue starts.
    const own = await runCli(['headless', 'acme/api#13'], {env, cwd: sb.dir})
    expect(own.code, own.stderr).to.equal(0)
  })
})

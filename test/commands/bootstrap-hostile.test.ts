import {expect} from 'chai'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, processesIn, runCli, startCli, waitFor, writeConfig} from '../support/helpers.js'
import {records} from '../support/state.js'

describe('worktree bootstrap under hostile input (through the binary)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({
    repos: ['acme/api'],
    issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}],
    env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789'},
  })

  it('never writes a .worktreeinclude file through a symlink the worktree\'s branch committed where the checkout has a directory', async () => {
    const {sb, forge, env} = t
    const checkout = t.checkouts['acme/api']
    writeConfig(sb, {github: forge.github})
    writeFileSync(path.join(checkout, '.gitignore'), 'conf/*.local\n')
    writeFileSync(path.join(checkout, '.worktreeinclude'), 'conf/\n')
    git(checkout, 'add', '.gitignore', '.worktreeinclude')
    git(checkout, 'commit', '-q', '-m', 'ignore rules')
    // An earlier worker's branch replaced conf/ with a symlink that leaves the worktree.
    const outside = path.join(sb.dir, 'outside')
    mkdirSync(outside)
    git(checkout, 'checkout', '-q', '-b', 'dispatch/issue-12-fix-the-login-bug')
    git(checkout, 'rm', '-q', '--cached', '--ignore-unmatch', 'conf')
    git(checkout, 'config', 'core.symlinks', 'true')
    writeFileSync(path.join(sb.dir, 'link-target'), outside)
    const sha = git(checkout, 'hash-object', '-w', path.join(sb.dir, 'link-target')).trim()
    git(checkout, 'update-index', '--add', '--cacheinfo', `120000,${sha},conf`)
    git(checkout, 'commit', '-q', '-m', 'conf is a symlink now')
    git(checkout, 'checkout', '-q', 'main')
    // The checkout's own conf/ holds the ignored file .worktreeinclude names.
    mkdirSync(path.join(checkout, 'conf'))
    writeFileSync(path.join(checkout, 'conf', 'db.local'), 'password=hunter2\n')

    const res = await runCli(['headless', 'acme/api#12'], {env, cwd: checkout})
    expect(res.code, res.stderr).to.equal(0)
    expect(existsSync(path.join(outside, 'db.local')), 'copied through the symlink, outside the worktree').to.equal(false)
    expect(res.stderr).to.match(/did not copy conf\/db\.local: its directory in the worktree is a symlink to .*outside, outside the worktree/)
    expect(readFileSync(path.join(checkout, 'conf', 'db.local'), 'utf8')).to.equal('password=hunter2\n')
  })

  it('a setup whose shell cannot start says so, not just "exited with code 127"', async () => {
    const {sb, forge} = t
    writeConfig(sb, {github: forge.github}, {worktree: {setup: 'echo hi'}})
    const res = await runCli(['headless', 'acme/api#12'], {env: {...t.env, SHELL: '/nonexistent/shell'}, cwd: t.checkouts['acme/api']})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/The worktree setup for acme\/api#12 could not run: could not start \/nonexistent\/shell: spawn \/nonexistent\/shell ENOENT; no worker was started/)
    expect(res.stderr).to.include('dispatch: could not start /nonexistent/shell')
    expect(res.stderr).to.not.match(/\n\s+at /)
  })

  it('Ctrl-C during an interactive dispatch\'s setup kills the setup, says nothing was started, and leaves no note behind', async () => {
    const {sb, forge} = t
    writeConfig(sb, {github: forge.github}, {worktree: {setup: 'touch .setup-started; sleep 30'}})
    const wt = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-login-bug')
    const run = startCli(['interactive', 'acme/api#12', '--surface=print'], {env: t.env, cwd: t.checkouts['acme/api']})
    await waitFor('the setup to start', () => existsSync(path.join(wt, '.setup-started')))
    process.kill(run.pid, 'SIGINT')
    const res = await run.done
    expect(res.code, res.stderr).to.equal(130)
    expect(res.stderr).to.match(/Interrupted before the worker started; nothing was started/)
    await waitFor('no process left in the worktree', () => processesIn(wt).length === 0)
    expect(records(sb)).to.deep.equal([])
    expect(readdirSync(path.join(sb.stateDir, 'starting'))).to.deep.equal([])
  })
})

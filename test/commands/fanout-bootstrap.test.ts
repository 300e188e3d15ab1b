import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, runCli, writeConfig} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'

describe('fan-out bootstraps each new worktree as a single dispatch does (through the binary)', function () {
  this.timeout(90_000)
  const t = useForgeSandbox({
    // Held: both workers stay active, so the second gets index 1 however fast the first would finish.
    hold: true,
    repos: ['acme/api'],
    issues: [
      {owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'},
      {owner: 'acme', repo: 'api', number: 13, title: 'Other thing'},
    ],
    env: {GH_TOKEN: 'ghp_SECRETTOKEN0123456789', STANDIN_CHECK_FILES: '.env,.setup-done'},
  })

  it('copies .worktreeinclude files and runs the setup in every new worktree of a fan-out', async () => {
    const {sb, forge, env} = t
    const checkout = t.checkouts['acme/api']
    writeConfig(sb, {github: forge.github}, {worktree: {setup: 'echo "index=$DISPATCH_WORKER_INDEX" > .setup-done'}})
    writeFileSync(path.join(checkout, '.gitignore'), '.env\n')
    writeFileSync(path.join(checkout, '.worktreeinclude'), '.env\n')
    git(checkout, 'add', '.gitignore', '.worktreeinclude')
    git(checkout, 'commit', '-q', '-m', 'ignore rules')
    git(checkout, 'push', '-q', 'origin', 'main')
    writeFileSync(path.join(checkout, '.env'), 'DB=local\n')

    const res = await runCli(['headless', 'acme/api#12', 'acme/api#13', '--json'], {env, cwd: checkout})
    expect(res.code, res.stderr).to.equal(0)
    expect(JSON.parse(res.stdout).map((e: {outcome: string}) => e.outcome)).to.deep.equal(['started', 'started'])
    const byRef = Object.fromEntries(records(sb).map((r) => [r.ref, r]))
    for (const [ref, index] of [['acme/api#12', 0], ['acme/api#13', 1]] as const) {
      const cwd = byRef[ref].cwd as string
      expect(existsSync(path.join(cwd, '.setup-done')), `setup ran for ${ref}`).to.equal(true)
      expect(readFileSync(path.join(cwd, '.setup-done'), 'utf8')).to.equal(`index=${index}\n`)
      expect(readFileSync(path.join(cwd, '.env'), 'utf8')).to.equal('DB=local\n')
      expect(readFileSync(byRef[ref].log_path, 'utf8')).to.include('worktree setup finished')
    }
    // The workers saw both when they started.
    expect(standIns(sb).map((s) => s.checked['.setup-done']).sort()).to.deep.equal(['index=0\n', 'index=1\n'])
  })

  it('a failing setup fails that issue only; the others start', async () => {
    const {sb, forge, env} = t
    writeConfig(sb, {github: forge.github}, {worktree: {setup: 'case "$PWD" in *issue-12-*) echo "npm ERR! broken"; exit 7;; esac'}})
    const res = await runCli(['headless', 'acme/api#12', 'acme/api#13', '--json'], {env, cwd: t.checkouts['acme/api']})
    expect(res.code, res.stderr).to.equal(1)
    const out = JSON.parse(res.stdout)
    expect(out.map((e: {outcome: string}) => e.outcome)).to.deep.equal(['failed', 'started'])
    expect(out[0].error.message).to.match(/worktree setup for acme\/api#12 exited with code 7/)
    expect(out[0].log_tail.join('\n')).to.include('npm ERR! broken')
    expect(records(sb).map((r) => r.ref)).to.deep.equal(['acme/api#13'])
  })
})

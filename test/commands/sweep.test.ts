// The quiet sweep runs after the worker started, in a detached process the
// dispatch never waits for (issue #21): a dispatch returns even when the
// sweep hangs, and the sweep still removes a merged worktree afterwards.
import {expect} from 'chai'
import {chmodSync, existsSync, mkdirSync, utimesSync, writeFileSync} from 'node:fs'
import {execFileSync} from 'node:child_process'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, runCli, waitFor} from '../support/helpers.js'

describe('the quiet sweep is out of the dispatch path (through the binary)', function () {
  this.timeout(120_000)
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 9, title: 'Nine'}]})

  it('a dispatch returns while the sweep is stuck in a worktree; the sweep removes the merged worktree once unstuck', async () => {
    const {sb, env} = t
    const checkout = t.checkouts['acme/api']
    const blocked = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-7-blocked')
    git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', 'dispatch/issue-7-blocked', blocked, 'origin/main')
    git(blocked, 'commit', '-q', '--allow-empty', '-m', 'landed')
    git(blocked, 'push', '-q', 'origin', 'dispatch/issue-7-blocked:main')
    // Old enough for the sweep (it spares worktrees made in the last two minutes).
    const old = new Date(Date.now() - 600_000)
    utimesSync(path.join(blocked, '.git'), old, old)
    // A git that hangs on `status` in that worktree (ignoring SIGTERM, as a stuck filesystem would) until the test lets it go.
    const shim = path.join(sb.dir, 'shim')
    mkdirSync(shim)
    const marks = path.join(sb.dir, 'marks')
    mkdirSync(marks)
    const realGit = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim()
    writeFileSync(
      path.join(shim, 'git'),
      [
        '#!/bin/sh',
        `case " $* " in *" status "*) if [ "$(basename "$(pwd -P)")" = issue-7-blocked ]; then`,
        `  trap '' TERM; touch '${marks}/stuck'`,
        `  while [ ! -e '${marks}/release' ]; do sleep 0.05; done`,
        'fi;; esac',
        `exec '${realGit}' "$@"`,
        '',
      ].join('\n'),
    )
    chmodSync(path.join(shim, 'git'), 0o755)
    const shimmed = {...env, PATH: `${shim}:${env.PATH}`}

    const res = await runCli(['headless', 'acme/api#9'], {env: shimmed, timeoutMs: 60_000})
    expect(res.code, res.stderr).to.equal(0)
    // The dispatch is done; the sweep, started after its worker, reaches the worktree and hangs there.
    await waitFor('the sweep to get stuck', () => existsSync(path.join(marks, 'stuck')), 60_000)
    expect(existsSync(blocked)).to.equal(true)
    writeFileSync(path.join(marks, 'release'), '')
    await waitFor('the sweep to remove the merged worktree and finish', () => !existsSync(blocked) && !existsSync(path.join(sb.stateDir, 'locks', 'sweep-acme+api.lock')), 60_000)
    expect(git(checkout, 'branch', '--list', 'dispatch/issue-7-blocked')).to.equal('')
  })
})

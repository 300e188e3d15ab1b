// The background sweep's quiet mode (issue #21): a worktree it keeps costs no
// git process of its own; `dispatch reap` still asks every worktree's status,
// so its reasons stay what they were.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useGitEnv} from '../../../src/lib/git.js'
import {reap} from '../../../src/lib/reap/index.js'
import {useSandbox} from '../../support/forge-sandbox.js'
import {git, makeRepo} from '../../support/helpers.js'

describe('reap: the quiet sweep asks git nothing in a worktree it keeps (library, real git)', () => {
  const t = useSandbox()
  after(() => useGitEnv(process.env))

  it('status only in the merged worktree when quiet; in every worktree for dispatch reap', async () => {
    const {sb} = t
    const checkout = makeRepo(sb, 'acme', 'api')
    const old = new Date(Date.now() - 600_000)
    const add = (name: string) => {
      const dir = path.join(sb.worktreeRoot, 'acme', 'api', name)
      git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', `dispatch/${name}`, dir, 'origin/main')
      return dir
    }
    const kept = [add('issue-1-untouched'), add('issue-2-untouched'), add('issue-3-unmerged')]
    git(kept[2], 'commit', '-q', '--allow-empty', '-m', 'work')
    const merged = add('issue-4-merged')
    git(merged, 'commit', '-q', '--allow-empty', '-m', 'landed')
    git(merged, 'push', '-q', 'origin', 'dispatch/issue-4-merged:main')
    for (const dir of [...kept, merged]) utimesSync(path.join(dir, '.git'), old, old)
    // A git that notes where it ran, then runs the real one.
    const shim = path.join(sb.dir, 'shim')
    mkdirSync(shim)
    const log = path.join(sb.dir, 'git-calls')
    const realGit = execFileSync('sh', ['-c', 'command -v git'], {encoding: 'utf8'}).trim()
    // The subcommand: the first word that is neither an option nor the value of a -c pin (git-safe.ts).
    const sub = 'sub=; skip=; for a in "$@"; do if [ -n "$skip" ]; then skip=; continue; fi; case "$a" in -c) skip=1;; -*) ;; *) sub=$a; break;; esac; done'
    writeFileSync(path.join(shim, 'git'), `#!/bin/sh\n${sub}\necho "$(pwd -P) $sub" >> '${log}'\nexec '${realGit}' "$@"\n`)
    chmodSync(path.join(shim, 'git'), 0o755)
    useGitEnv({...process.env, PATH: `${shim}:${process.env.PATH}`, GIT_CONFIG_NOSYSTEM: '1'})
    const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [])
    const inside = (dir: string) => calls().filter((c) => c.startsWith(dir + ' '))
    const registry = {active: async () => []}

    const exact = await reap({worktreeRoot: sb.worktreeRoot, registry, stateDir: sb.stateDir, dryRun: true, fetch: false, checkoutOf: () => checkout})
    // status reads worktree files: its filter and diff drivers are looked up first, to be pinned off (git-safe.ts).
    for (const dir of [...kept, merged]) expect(inside(dir), dir).to.deep.equal([`${dir} config`, `${dir} status`])
    writeFileSync(log, '')

    const quiet = await reap({worktreeRoot: sb.worktreeRoot, registry, stateDir: sb.stateDir, dryRun: false, fetch: false, quiet: true, checkoutOf: () => checkout})
    for (const dir of kept) expect(inside(dir), dir).to.deep.equal([])
    // The merged one: its status, then HEAD and its branch read again under the lock before it goes.
    // (and its drivers looked up once more for `worktree remove`, which reads its files too).
    expect(inside(merged)).to.deep.equal([`${merged} config`, `${merged} status`, `${merged} rev-parse`, `${merged} rev-parse`, `${merged} config`])
    // The same verdicts either way; the merged one is gone.
    expect(quiet.map((e) => e.verdict)).to.deep.equal(exact.map((e) => e.verdict))
    expect(existsSync(merged)).to.equal(false)
    // The git processes of the whole quiet sweep do not grow with the worktrees kept.
    expect(calls().length, calls().join('\n')).to.be.at.most(16)
  })
})

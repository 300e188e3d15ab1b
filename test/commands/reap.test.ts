import {expect} from 'chai'
import {existsSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {git, makeRepo, runCli, waitFor, type Sandbox} from '../support/helpers.js'

interface Entry {
  path: string
  branch: string | null
  action: string
  verdict: string
  reason: string
}

/** Worktrees as dispatch lays them out, made with plain git: each one a case for reap. */
function makeFixtures(sb: Sandbox, checkout: string) {
  const bare = path.join(sb.remotes, 'acme', 'api.git')
  const wt = (name: string) => path.join(sb.worktreeRoot, 'acme', 'api', name)
  const add = (name: string) => {
    git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', `dispatch/${name}`, wt(name), 'origin/main')
    return wt(name)
  }
  const commit = (dir: string, msg: string) => git(dir, 'commit', '-q', '--allow-empty', '-m', msg)

  // Merged into the default branch, on origin.
  const merged = add('issue-1-merged')
  commit(merged, 'work 1')
  git(checkout, 'merge', '-q', '--ff-only', 'dispatch/issue-1-merged')
  git(checkout, 'push', '-q', 'origin', 'main')
  // Pushed, then the branch deleted on the forge (PR closed unmerged): the local commit is the only copy.
  const gone = add('issue-2-gone')
  commit(gone, 'work 2')
  git(gone, 'push', '-q', '-u', 'origin', 'dispatch/issue-2-gone')
  git(sb.dir, '--git-dir', bare, 'branch', '-q', '-D', 'dispatch/issue-2-gone')
  // A detached HEAD with a new commit on no branch.
  const detached = add('issue-3-detached')
  git(detached, 'checkout', '-q', '--detach')
  commit(detached, 'work 3')
  // Pushed to origin and identical there.
  const pushed = add('issue-4-pushed')
  commit(pushed, 'work 4')
  git(pushed, 'push', '-q', '-u', 'origin', 'dispatch/issue-4-pushed')
  // Otherwise removable, but with an untracked file.
  const dirty = add('issue-5-dirty')
  commit(dirty, 'work 5')
  git(dirty, 'push', '-q', 'origin', 'dispatch/issue-5-dirty')
  writeFileSync(path.join(dirty, 'scratch.txt'), 'not committed')
  // Two local commits nobody pushed.
  const unpushed = add('issue-6-unpushed')
  commit(unpushed, 'work 6a')
  commit(unpushed, 'work 6b')
  // Nothing committed yet.
  const fresh = add('issue-7-fresh')
  return {merged, gone, detached, pushed, dirty, unpushed, fresh}
}

describe('reap never loses work (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox()
  let {forge, sb} = t
  let checkout: string

  beforeEach(() => {
    ;({forge, sb} = t)
    checkout = makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 9, title: 'Another task'})
  })

  it('removes only what is on the default branch or a remote branch; keeps the rest and says why', async () => {
    const wt = makeFixtures(sb, checkout)
    const res = await runCli(['reap', '--json'], {env: sb.env})
    expect(res.code, res.stderr).to.equal(0)
    const out: Entry[] = JSON.parse(res.stdout)
    for (const p of [wt.merged, wt.pushed]) expect(existsSync(p), p).to.equal(false)
    for (const p of [wt.gone, wt.detached, wt.dirty, wt.unpushed, wt.fresh]) expect(existsSync(p), p).to.equal(true)
    const at = (p: string) => out.find((e) => e.path === p)!
    expect(at(wt.merged)).to.deep.include({action: 'removed', verdict: 'remove', reason: 'merged into main', branch: 'dispatch/issue-1-merged'})
    expect(at(wt.gone)).to.deep.include({action: 'kept', verdict: 'keep', reason: '1 commit not on main or any remote branch'})
    expect(at(wt.detached)).to.deep.include({action: 'kept', verdict: 'keep', reason: 'detached HEAD with 1 commit not on main or any remote branch'})
    expect(at(wt.pushed)).to.deep.include({action: 'removed', verdict: 'remove', reason: 'every commit is on origin/dispatch/issue-4-pushed'})
    expect(at(wt.dirty)).to.deep.include({action: 'kept', verdict: 'keep', reason: 'uncommitted changes'})
    expect(at(wt.unpushed)).to.deep.include({action: 'kept', verdict: 'keep', reason: '2 commits not on main or any remote branch'})
    expect(at(wt.fresh)).to.deep.include({action: 'kept', verdict: 'keep', reason: 'no commits on the branch yet'})

    // The removed ones' branches and git's metadata went with them; the kept ones' commits are all still there.
    expect(git(checkout, 'branch', '--list', 'dispatch/issue-1-merged', 'dispatch/issue-4-pushed')).to.equal('')
    expect(git(checkout, 'worktree', 'list')).not.to.match(/issue-1-merged|issue-4-pushed/)
    expect(git(checkout, 'log', '-1', '--format=%s', 'dispatch/issue-2-gone')).to.equal('work 2')
    expect(git(wt.detached, 'log', '-1', '--format=%s')).to.equal('work 3')
    expect(git(checkout, 'rev-list', '--count', 'origin/main..dispatch/issue-6-unpushed')).to.equal('2')

    // The human output says the same, one line each.
    const human = await runCli(['reap'], {env: sb.env})
    expect(human.stdout).to.include(`kept         ${wt.gone} (dispatch/issue-2-gone): 1 commit not on main or any remote branch`)
    expect(human.stdout).to.match(/kept +\S+issue-3-detached \(dispatch\/issue-3-detached\): detached HEAD with 1 commit/)
  })

  it('--dry-run fetches like the real run and gives the same verdicts, removing nothing', async () => {
    const wt = makeFixtures(sb, checkout)
    const dry: Entry[] = JSON.parse((await runCli(['reap', '--dry-run', '--json'], {env: sb.env})).stdout)
    for (const p of Object.values(wt)) expect(existsSync(p), p).to.equal(true)
    expect(git(checkout, 'branch', '--list', 'dispatch/issue-1-merged')).to.include('issue-1-merged')
    const real: Entry[] = JSON.parse((await runCli(['reap', '--json'], {env: sb.env})).stdout)
    const verdicts = (list: Entry[]) => list.map((e) => ({path: e.path, verdict: e.verdict, reason: e.reason})).sort((a, b) => a.path.localeCompare(b.path))
    expect(verdicts(dry)).to.deep.equal(verdicts(real))
    expect(dry.filter((e) => e.action === 'would-remove').map((e) => e.path).sort()).to.deep.equal([wt.merged, wt.pushed].sort())
    expect(real.filter((e) => e.action === 'removed').map((e) => e.path).sort()).to.deep.equal([wt.merged, wt.pushed].sort())
  })

  it('the quiet reap before a dispatch keeps a worktree whose remote branch was deleted but whose commits remain', async () => {
    const gone = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-2-gone')
    git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', 'dispatch/issue-2-gone', gone, 'origin/main')
    git(gone, 'commit', '-q', '--allow-empty', '-m', 'precious')
    git(gone, 'push', '-q', '-u', 'origin', 'dispatch/issue-2-gone')
    // Deleted upstream, and the checkout already knows (its tracking ref is gone too).
    git(checkout, 'push', '-q', 'origin', '--delete', 'dispatch/issue-2-gone')
    const detached = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-3-detached')
    git(checkout, 'worktree', 'add', '-q', '--detach', detached, 'origin/main')
    git(detached, 'commit', '-q', '--allow-empty', '-m', 'also precious')
    const merged = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-1-merged')
    git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', 'dispatch/issue-1-merged', merged, 'origin/main')
    git(merged, 'commit', '-q', '--allow-empty', '-m', 'landed')
    git(merged, 'push', '-q', 'origin', 'dispatch/issue-1-merged:main')
    // The quiet sweep spares worktrees made in the last two minutes (another dispatch may be
    // starting its worker there): these are made to look older, all but `fresh`.
    const fresh = path.join(sb.worktreeRoot, 'acme', 'api', 'issue-4-fresh')
    git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', 'dispatch/issue-4-fresh', fresh, 'origin/main')
    const old = new Date(Date.now() - 600_000)
    for (const dir of [gone, detached, merged]) utimesSync(path.join(dir, '.git'), old, old)

    const res = await runCli(['headless', 'acme/api#9'], {env: sb.env})
    expect(res.code, res.stderr).to.equal(0)
    // The sweep runs in the background once the worker started: wait for it to have removed the merged one and finished.
    await waitFor('the background sweep', () => !existsSync(merged) && !existsSync(path.join(sb.stateDir, 'locks', 'sweep-acme+api.lock')), 60_000)
    expect(existsSync(fresh), 'a worktree made moments ago').to.equal(true)
    expect(existsSync(gone)).to.equal(true)
    expect(git(gone, 'log', '-1', '--format=%s')).to.equal('precious')
    expect(existsSync(detached)).to.equal(true)
    expect(git(detached, 'log', '-1', '--format=%s')).to.equal('also precious')
  })
})

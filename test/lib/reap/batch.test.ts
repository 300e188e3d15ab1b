// Reap's batched facts (a few git processes for all of a repository's
// worktrees) against the per-worktree facts they replace, on real
// repositories: the same verdicts and reasons, worktree by worktree.
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {isPlace, useGitEnv, worktreePlace} from '../../../src/lib/git.js'
import {countFrom, parseParents, parseReflogs} from '../../../src/lib/reap/batch.js'
import {decideReap} from '../../../src/lib/reap/decide.js'
import {candidates, detachedBranch, repoFacts, worktreeFacts} from '../../../src/lib/reap/facts.js'
import {judgeRepo} from '../../../src/lib/reap/judge.js'
import {dispatchBranch} from '../../support/branches.js'
import {useSandbox} from '../../support/forge-sandbox.js'
import {git, makeRepo, type Sandbox} from '../../support/helpers.js'

/** Every situation reap tells apart, in one repository; returns its checkout. */
function situations(sb: Sandbox, opts: {defaultBranch?: string} = {}): string {
  const checkout = makeRepo(sb, 'acme', 'api', opts)
  const def = opts.defaultBranch ?? 'main'
  const wt = (name: string) => path.join(sb.worktreeRoot, 'acme', 'api', name)
  const add = (name: string, n: number, push = false) => {
    const dir = wt(name)
    git(checkout, 'worktree', 'add', '-q', '--no-track', '-b', `dispatch/${name}`, dir, `origin/${def}`)
    for (let i = 0; i < n; i++) git(dir, 'commit', '-q', '--allow-empty', '-m', `work ${name} ${i}`)
    if (push) git(dir, 'push', '-q', 'origin', `dispatch/${name}`)
    return dir
  }
  add('issue-1-untouched', 0)
  add('issue-2-unmerged', 2)
  add('issue-3-pushed', 1, true)
  const merged = add('issue-4-merged', 1)
  git(merged, 'push', '-q', 'origin', `dispatch/issue-4-merged:${def}`)
  git(checkout, 'fetch', '-q', 'origin')
  const gone = add('issue-5-gone', 1, true)
  git(checkout, 'push', '-q', 'origin', '--delete', 'dispatch/issue-5-gone')
  writeFileSync(path.join(add('issue-6-dirty-untouched', 0), 'scratch.txt'), 'x')
  writeFileSync(path.join(add('issue-7-dirty-unmerged', 1), 'scratch.txt'), 'x')
  writeFileSync(path.join(merged, 'after.txt'), 'x')
  git(checkout, 'worktree', 'add', '-q', '--detach', wt('issue-8-detached'), `origin/${def}`)
  git(wt('issue-8-detached'), 'commit', '-q', '--allow-empty', '-m', 'detached work')
  git(checkout, 'worktree', 'add', '-q', '--detach', wt('issue-9-detached-clean'), `origin/${def}`)
  // Detached, made on its dispatch branch (which then counts and goes with it).
  const from = add('issue-10-from-branch', 1)
  git(from, 'checkout', '-q', '--detach')
  git(from, 'commit', '-q', '--allow-empty', '-m', 'past the branch')
  git(checkout, 'worktree', 'add', '-q', '-b', 'feature/own', wt('issue-11-not-dispatch'), `origin/${def}`)
  // The branch moved on to a commit that is on the default branch already (a reset): touched, merged.
  const reset = add('issue-12-reset', 0)
  git(reset, 'reset', '-q', '--hard', `origin/${def}~0`)
  git(reset, 'commit', '-q', '--allow-empty', '-m', 'soon merged')
  git(reset, 'push', '-q', 'origin', `HEAD:${def}`)
  git(checkout, 'fetch', '-q', 'origin')
  add('issue-13-merged-later', 1, true)
  void gone
  return checkout
}

describe('reap: batched facts give the verdicts the per-worktree facts give (library, real git)', () => {
  const t = useSandbox()
  /** Where a worktree's git data is, as reap finds it from the checkout's side (git-place.ts). */
  const placeOf = (checkout: string, dir: string) => {
    const place = worktreePlace(checkout, dir)
    if (!isPlace(place)) throw new Error(`${dir}: ${place.reason}`)
    return place
  }
  before(() => useGitEnv({...process.env, GIT_CONFIG_NOSYSTEM: '1'}))

  for (const [what, opts] of [
    ['remotes fresh', {fetch: true, defaultBranch: 'main'}],
    ['remotes not fetched', {fetch: false, defaultBranch: 'main'}],
    ['a default branch named trunk', {fetch: true, defaultBranch: 'trunk'}],
  ] as const) {
    it(`${what}: the same verdict and reason for every worktree, and the same verdict when quiet`, async () => {
      const checkout = situations(t.sb, {defaultBranch: opts.defaultBranch})
      const dirs = candidates(t.sb.worktreeRoot)
      expect(dirs).to.have.length(13)
      const repo = await repoFacts(checkout, opts.fetch)
      const reference = await Promise.all(
        dirs.map(async (dir) => {
          const reported = repo.branches.get(dir) ?? null
          const branch = reported ?? detachedBranch(dir, repo)
          return decideReap({...(await worktreeFacts(placeOf(checkout, dir), branch, repo, checkout)), branch: reported})
        }),
      )
      for (const quiet of [false, true]) {
        const judged = await judgeRepo(checkout, {fetch: opts.fetch, quiet}, dirs.map((dir) => ({dir, place: placeOf(checkout, dir)})))
        const batched = await Promise.all(judged.map(async (j) => (j.kept ? {verdict: 'keep', reason: j.kept} : decideReap(await j.facts!()))))
        for (const [i, dir] of dirs.entries()) {
          const name = path.basename(dir)
          if (quiet) expect(batched[i].verdict, `${name} (quiet)`).to.equal(reference[i].verdict)
          else expect(batched[i], name).to.deep.equal(reference[i])
        }
      }
      // The table covers both verdicts.
      expect(reference.map((v) => v.verdict)).to.include.members(['keep', 'remove'])
    })
  }

  it('counts the commits a tip reaches within a walk, and reads reflogs of many branches', () => {
    const graph = parseParents('c b\nb a\nx a\n')
    expect(countFrom(graph, ['c'])).to.equal(2)
    expect(countFrom(graph, ['c', 'x'])).to.equal(3)
    expect(countFrom(graph, ['a'])).to.equal(0)
    expect([...parseReflogs('refs/heads/dispatch/a@{0}\tbranch: Created from main\nrefs/heads/dispatch/b@{0}\tcommit: x\nrefs/heads/dispatch/b@{1}\tbranch: Created from main\n')]).to.deep.equal([
      ['refs/heads/dispatch/a', ['branch: Created from main']],
      ['refs/heads/dispatch/b', ['commit: x', 'branch: Created from main']],
    ])
  })
})

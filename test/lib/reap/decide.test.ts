import {expect} from 'chai'

import {decideReap, type WorktreeFacts} from '../../../src/lib/reap/decide.js'

/** A clean, pushed, merged worktree: removable. Each row changes what it names. */
const base: WorktreeFacts = {
  registered: true,
  checkout: '/src/acme/api',
  branch: 'dispatch/issue-1-x',
  dirty: false,
  unreachable: 0,
  defaultBranch: 'main',
  remotesFresh: true,
  merged: true,
  untouched: false,
}

describe('decideReap (SPEC §10: reap never loses work)', () => {
  const table: Array<[string, Partial<WorktreeFacts>, 'remove' | 'keep', string]> = [
    ['merged into the default branch', {}, 'remove', 'merged into main'],
    ['pushed and identical on origin', {merged: false, onRemote: 'origin/dispatch/issue-1-x'}, 'remove', 'every commit is on origin/dispatch/issue-1-x'],
    ['reachable only by main and remotes together', {merged: false}, 'remove', 'every commit is on main or a remote branch'],
    ['detached HEAD already on main', {branch: null}, 'remove', 'merged into main'],
    ['an active worker, whatever else', {activeWorker: {pid: 42, ref: 'acme/api#1'}, dirty: true, unreachable: 3}, 'keep', 'active worker pid 42 (acme/api#1)'],
    ['a queued Slurm job (no process yet)', {activeWorker: {pid: 0, ref: 'acme/api#1', jobId: '42'}}, 'keep', 'active Slurm job 42 (acme/api#1)'],
    ['a running Slurm job (its pid is on a node)', {activeWorker: {pid: 913, ref: 'acme/api#1', jobId: '42'}}, 'keep', 'active Slurm job 42 (acme/api#1)'],
    ['unknown to its checkout', {registered: false}, 'keep', 'not a worktree of /src/acme/api (run git worktree prune there)'],
    ['someone switched it to another branch', {branch: 'feature/mine'}, 'keep', 'not a dispatch branch'],
    ['uncommitted changes', {dirty: true}, 'keep', 'uncommitted changes'],
    ['made moments ago, though merged', {justMade: true}, 'keep', 'made moments ago: a dispatch may be starting its worker there'],
    ['dirty beats unreachable', {dirty: true, unreachable: 2}, 'keep', 'uncommitted changes'],
    ['remote branch deleted, local commits remain', {merged: false, unreachable: 2}, 'keep', '2 commits not on main or any remote branch'],
    ['detached HEAD with a new commit', {branch: null, merged: false, unreachable: 1}, 'keep', 'detached HEAD with 1 commit not on main or any remote branch'],
    ['origin could not be fetched', {merged: false, unreachable: 1, remotesFresh: false}, 'keep', '1 commit not on main (origin could not be fetched, so other remote branches do not count)'],
    ['nothing committed yet', {untouched: true}, 'keep', 'no commits on the branch yet'],
  ]
  for (const [name, change, verdict, reason] of table) {
    it(name, () => expect(decideReap({...base, ...change})).to.deep.equal({verdict, reason}))
  }
})

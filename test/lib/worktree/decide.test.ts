import {expect} from 'chai'
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {decideWorktree} from '../../../src/lib/worktree/decide.js'
import type {BranchFacts} from '../../../src/lib/worktree/read.js'
import {useSandbox} from '../../support/forge-sandbox.js'

describe('one worker per worktree: decideWorktree with busy worktrees', () => {
  const t = useSandbox(false)
  const req = (checkout: string, number = 12, title = 'Fix the thing') => ({checkout, worktreeRoot: t.sb.worktreeRoot, owner: 'acme', repo: 'api', number, title})
  const name = 'issue-12-fix-the-thing'
  const at = (suffix = '') => path.join(t.sb.worktreeRoot, 'acme', 'api', name + suffix)
  const branch = (suffix = '') => `dispatch/${name}${suffix}`
  // Existing worktrees (made as directories: decideWorktree checks they exist) and local branches.
  const facts = (worktrees: string[], branches: string[] = worktrees): BranchFacts => {
    for (const w of worktrees) mkdirSync(at(w), {recursive: true})
    return {
      defaultBranch: {name: 'main', startPoint: 'origin/main'},
      worktrees: [{path: '/src/acme/api', branch: 'main', prunable: false}, ...worktrees.map((w) => ({path: at(w), branch: branch(w), prunable: false}))],
      branches: branches.map((b) => branch(b)),
    }
  }
  const table: Array<[string, string[], string[], string[], {suffix: string; action: string; slot: number}]> = [
    ['nothing there, nobody busy: the issue\'s own, new', [], [], [], {suffix: '', action: 'create', slot: 1}],
    ['its own exists and is free: reuse it', [''], [''], [], {suffix: '', action: 'reuse', slot: 1}],
    ['its own is busy: -2, new', [''], [''], [''], {suffix: '-2', action: 'create', slot: 2}],
    ['its own and -2 busy: -3', ['', '-2'], ['', '-2'], ['', '-2'], {suffix: '-3', action: 'create', slot: 3}],
    ['its own busy, -2 free and there: reuse -2', ['-2', ''], ['', '-2'], [''], {suffix: '-2', action: 'reuse', slot: 2}],
    ['-2 busy, its own free: its own, even listed after -2', ['-2', ''], ['', '-2'], ['-2'], {suffix: '', action: 'reuse', slot: 1}],
    ['its own busy, branch -2 left without a worktree: check it out', [''], ['', '-2'], [''], {suffix: '-2', action: 'checkout', slot: 2}],
  ]
  for (const [title, worktrees, branches, busy, want] of table) {
    it(title, () => {
      const plan = decideWorktree(req('/src/acme/api'), facts(worktrees, branches), busy.map((b) => at(b)))
      expect(plan).to.deep.include({path: at(want.suffix), branch: branch(want.suffix), action: want.action, slot: want.slot})
    })
  }
})

describe('decideWorktree: pushed work with no local branch (reap removed it)', () => {
  const t = useSandbox(false)
  const req = () => ({checkout: '/src/acme/api', worktreeRoot: t.sb.worktreeRoot, owner: 'acme', repo: 'api', number: 12, title: 'Fix the thing'})
  const base = {defaultBranch: {name: 'main', startPoint: 'origin/main'}, worktrees: [{path: '/src/acme/api', branch: 'main', prunable: false}]}
  const table: Array<[string, Partial<BranchFacts>, {branch: string; startPoint: string; action: string}]> = [
    ['only on origin: a new local branch from origin/<branch>', {branches: [], remoteBranches: ['dispatch/issue-12-fix-the-thing']}, {branch: 'dispatch/issue-12-fix-the-thing', startPoint: 'origin/dispatch/issue-12-fix-the-thing', action: 'create'}],
    ['on origin under the old title: that branch, continued', {branches: [], remoteBranches: ['dispatch/issue-12-old-title']}, {branch: 'dispatch/issue-12-old-title', startPoint: 'origin/dispatch/issue-12-old-title', action: 'create'}],
    ['a local branch wins over origin: check it out', {branches: ['dispatch/issue-12-fix-the-thing'], remoteBranches: ['dispatch/issue-12-fix-the-thing']}, {branch: 'dispatch/issue-12-fix-the-thing', startPoint: 'origin/main', action: 'checkout'}],
    ['nowhere: a new branch from the default branch', {branches: [], remoteBranches: []}, {branch: 'dispatch/issue-12-fix-the-thing', startPoint: 'origin/main', action: 'create'}],
  ]
  for (const [title, facts, want] of table) {
    it(title, () => {
      expect(decideWorktree(req(), {...base, branches: [], ...facts} as BranchFacts)).to.deep.include(want)
    })
  }
})

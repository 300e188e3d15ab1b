import {expect} from 'chai'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {planDispatch, promptKindFor} from '../../../src/lib/dispatch/plan.js'
import type {DispatchOptions, DispatchPlan, LocalFacts, RemoteFacts} from '../../../src/lib/dispatch/types.js'
import {loadTemplate} from '../../../src/lib/prompt/index.js'
import {config, issue, record} from '../../support/dispatch-facts.js'

const opts = (o: Partial<DispatchOptions> = {}): DispatchOptions => ({mode: 'headless', ref: 'acme/api#12', dryRun: false, claims: [], worktree: true, force: false, extraArgs: [], ...o})
const defaultBranch = {name: 'main', startPoint: 'origin/main'}
const wt = '/wt/acme/api/issue-12-fix-the-login-bug'

describe('planDispatch (pure)', () => {
  let remote: RemoteFacts
  // A worktree directory that exists: the planner reuses only worktrees still on disk.
  const existing = mkdtempSync(path.join(os.tmpdir(), 'dispatch-plan-'))
  before(async () => {
    remote = {config, inheritedDepth: undefined, parentSession: null, cwd: '/elsewhere', issue, checkout: {dir: '/ws/acme/api', origin: undefined} as unknown as RemoteFacts['checkout'], claudeBin: '/bin/claude', template: await loadTemplate('headless', config), dispatchCommand: 'dispatch'}
  })
  after(() => rmSync(existing, {recursive: true, force: true}))

  const local = (o: Partial<LocalFacts> = {}): LocalFacts => ({branches: {defaultBranch, worktrees: [], branches: []}, roots: [], active: [], ...o})
  const table: Array<[string, () => [Partial<LocalFacts>, Partial<DispatchOptions>], Partial<DispatchPlan> & {action: string; slot?: number}]> = [
    ['nothing yet: a new worktree and branch', () => [{}, {}], {cwd: wt, branch: 'dispatch/issue-12-fix-the-login-bug', action: 'create'}],
    ['an existing branch: checked out as it is', () => [{branches: {defaultBranch, worktrees: [], branches: ['dispatch/issue-12-old']}}, {}], {cwd: wt, branch: 'dispatch/issue-12-old', action: 'checkout'}],
    ['an existing worktree, even under an old title: reused', () => [{branches: {defaultBranch, worktrees: [{path: existing, branch: 'dispatch/issue-12-old', prunable: false} as never], branches: ['dispatch/issue-12-old']}}, {}], {cwd: existing, branch: 'dispatch/issue-12-old', action: 'reuse'}],
    ['its worktree busy (--force): a slot of its own', () => [{active: [record({ref: 'acme/api#12', cwd: wt})]}, {force: true}], {cwd: `${wt}-2`, branch: 'dispatch/issue-12-fix-the-login-bug-2', action: 'create', slot: 2}],
    ['--no-worktree: in the checkout', () => [{branches: undefined, inPlace: {branch: 'feature', defaultBranch: 'main', startPoint: 'origin/main'}}, {worktree: false}], {cwd: '/ws/acme/api', branch: 'feature', action: 'in-place'}],
  ]
  for (const [name, setup, want] of table) {
    it(name, () => {
      const [l, o] = setup()
      const plan = planDispatch(remote, local(l), opts(o))
      expect({cwd: plan.cwd, branch: plan.branch}).to.deep.equal({cwd: want.cwd, branch: want.branch})
      expect(plan.worktree.action).to.equal(want.action)
      expect(plan.worktree.slot).to.equal(want.slot ?? 1)
      expect(Boolean(plan.note)).to.equal((want.slot ?? 1) > 1)
      // One decision: the prompt names the very worktree and branch the worker gets.
      expect(plan.prompt).to.include(plan.branch).and.to.include(plan.cwd)
      expect(plan.args.join(' ')).not.to.include('It breaks.')
      expect(plan.runner).to.equal('local')
    })
  }

  it('gives a nested cascade the inherited budget minus one, a top-level one --depth', () => {
    expect(planDispatch({...remote, inheritedDepth: '3'}, local(), opts({mode: 'cascade'})).cascadeDepth).to.equal(2)
    expect(planDispatch(remote, local(), opts({mode: 'cascade', depth: 4})).cascadeDepth).to.equal(4)
    expect(planDispatch(remote, local(), opts()).cascadeDepth).to.equal(0)
  })

  it('names forgejo.tokenEnv, not $FORGEJO_TOKEN, in the prompt of a Forgejo issue', () => {
    const fj = {...issue, forge: 'forgejo' as const, url: 'https://fj.example/acme/api/issues/12', apiUrl: 'https://fj.example/api/v1/repos/acme/api/issues/12', webBase: 'https://fj.example'}
    const plan = planDispatch({...remote, issue: fj}, local(), opts())
    expect(plan.prompt).to.include('$CODEBERG_PAT')
    expect(plan.prompt).not.to.include('FORGEJO_TOKEN')
  })

  describe('a continuation (dispatch watch)', () => {
    const continuation = {sessionId: 'sess-1', prompt: 'The checks failed: lint. Fix them and push.', attempt: 1, round: 1, continues: '4242', reason: 'checks' as const, trackerCommentId: 77}

    it('resumes the session: -p --resume <id> in argv, the continuation prompt on stdin, everything else as a headless dispatch', () => {
      const fresh = planDispatch(remote, local(), opts())
      const plan = planDispatch(remote, local(), opts({continuation, watched: true}))
      expect(plan.args.slice(0, 5)).to.deep.equal(['-p', '--resume', 'sess-1', '--output-format', 'stream-json'])
      // The common args (permission mode, tools, model) follow as they would for a fresh run.
      expect(plan.args.slice(3)).to.deep.equal(fresh.args.slice(1))
      expect(plan.prompt).to.equal(continuation.prompt)
      expect({cwd: plan.cwd, branch: plan.branch, action: plan.worktree.action, runner: plan.runner}).to.deep.equal({cwd: fresh.cwd, branch: fresh.branch, action: fresh.worktree.action, runner: fresh.runner})
      expect(plan.continuation).to.deep.equal(continuation)
      expect(plan.watched).to.equal(true)
    })

    it('without a session to resume: the template prompt, as a fresh start in the same worktree', () => {
      const fresh = planDispatch(remote, local(), opts())
      const plan = planDispatch(remote, local(), opts({continuation: {...continuation, sessionId: null}}))
      expect(plan.args).to.deep.equal(fresh.args)
      expect(plan.prompt).to.equal(fresh.prompt)
      expect(plan.continuation?.sessionId).to.equal(null)
    })

    it('puts the chain on the record: attempt, round, the run it continues, why, watched, the tracker comment', async () => {
      const {baseRecord} = await import('../../../src/lib/dispatch/record.js')
      const r = baseRecord(planDispatch(remote, local(), opts({continuation, watched: true})), new Date(), null)
      expect(r).to.include({attempt: 1, round: 1, continues: '4242', continuation: 'checks', watched: true, tracker_comment_id: 77})
      const first = baseRecord(planDispatch(remote, local(), opts({watched: true})), new Date(), null)
      expect(first).to.include({attempt: 1, round: 0, continues: null, continuation: null, watched: true})
      // A plain dispatch's record keeps its old shape.
      expect(baseRecord(planDispatch(remote, local(), opts()), new Date(), null)).not.to.have.any.keys('attempt', 'round', 'watched', 'continues', 'continuation')
    })
  })

  it('picks the prompt by mode and posture', () => {
    expect(promptKindFor('interactive', 'consult')).to.equal('interactive-consult')
    expect(promptKindFor('interactive', undefined)).to.equal('interactive-watch')
    expect(promptKindFor('cascade', 'consult')).to.equal('cascade')
  })
})

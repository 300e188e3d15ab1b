import {expect} from 'chai'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {validateConfig} from '../../src/lib/config/index.js'
import {admit} from '../../src/lib/dispatch/admit.js'
import {planDispatch, promptKindFor} from '../../src/lib/dispatch/plan.js'
import type {DispatchOptions, DispatchPlan, LocalFacts, RemoteFacts} from '../../src/lib/dispatch/types.js'
import {workerEnv} from '../../src/lib/dispatch/worker-env.js'
import {PolicyError} from '../../src/lib/errors.js'
import {loadTemplate} from '../../src/lib/prompt/index.js'
import {SCHEMA_VERSION, type SidequestRecord} from '../../src/lib/registry/index.js'

const config = validateConfig({allowedOwners: ['acme'], worktreeRoot: '/wt', forgejo: {baseUrl: 'https://fj.example', tokenEnv: 'CODEBERG_PAT'}}, 'test', {HOME: '/home/me'})
const issue = {forge: 'github' as const, owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.', state: 'open', url: 'https://github.com/acme/api/issues/12', apiUrl: 'https://api.github.com/repos/acme/api/issues/12', isPullRequest: false, webBase: 'https://github.com', input: 'acme/api#12', ref: 'acme/api#12'}
const opts = (o: Partial<DispatchOptions> = {}): DispatchOptions => ({mode: 'headless', ref: 'acme/api#12', dryRun: false, claims: [], worktree: true, force: false, extraArgs: [], ...o})
const defaultBranch = {name: 'main', startPoint: 'origin/main'}
const wt = '/wt/acme/api/issue-12-fix-the-login-bug'

function record(o: Partial<SidequestRecord>): SidequestRecord {
  return {schema_version: SCHEMA_VERSION, pid: 4242, pid_start_time: null, mode: 'headless', ref: 'acme/api#7', forge: 'github', url: 'u', title: 't', started_at: '2026-01-01T00:00:00.000Z', parent_session: null, paths_claimed: [], repo: 'acme/api', cwd: '/wt/acme/api/issue-7-x', branch: 'dispatch/issue-7-x', log_path: null, cascade_depth: 0, claude_session_id: null, checkout: '/ws/acme/api', ...o}
}

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

  it('picks the prompt by mode and posture', () => {
    expect(promptKindFor('interactive', 'consult')).to.equal('interactive-consult')
    expect(promptKindFor('interactive', undefined)).to.equal('interactive-watch')
    expect(promptKindFor('cascade', 'consult')).to.equal('cascade')
  })
})

describe('admit (pure)', () => {
  const plan = (claims: string[] = [], ref = 'acme/api#12') => ({issue: {...issue, ref}, repo: 'acme/api', claims, claimRoots: [{dir: '/ws/acme/api', repo: 'acme/api'}], checkout: {dir: '/ws/acme/api'} as never})
  const table: Array<[string, SidequestRecord[], ReturnType<typeof plan>, {force?: boolean; max?: number}, RegExp | undefined]> = [
    ['no active worker', [], plan(), {}, undefined],
    ['a worker on the same ref, any case', [record({ref: 'ACME/api#12'})], plan(), {}, /already has an active worker \(pid 4242/],
    ['a worker on the same ref, with --force', [record({ref: 'acme/api#12'})], plan(), {force: true}, undefined],
    ['a claim inside an active claim', [record({paths_claimed: ['src']})], plan(['src/auth']), {}, /Claim src\/auth in acme\/api overlaps src \(ancestor\), claimed by pid 4242/],
    ['a claim containing an active claim', [record({paths_claimed: ['src/auth']})], plan(['src']), {}, /\(descendant\)/],
    ['the same path in another repository', [record({repo: 'acme/web', ref: 'acme/web#1', paths_claimed: ['src'], checkout: '/ws/acme/web', cwd: '/wt/acme/web/x'})], plan(['src']), {}, undefined],
    ['an overlapping claim with --force', [record({paths_claimed: ['src']})], plan(['src']), {force: true}, undefined],
    ['maxActive reached, even with --force', [record({}), record({pid: 4343, ref: 'acme/api#8'})], plan(), {force: true, max: 2}, /2 workers are active; maxActive is 2/],
  ]
  for (const [name, active, p, o, error] of table) {
    it(name, () => {
      const run = () => admit(active, p, o.max ?? 10, o.force ?? false)
      if (error) expect(run).to.throw(PolicyError, error)
      else expect(run).not.to.throw()
    })
  }
})

describe('workerEnv (pure)', () => {
  it('drops the parent session, sets the cascade budget and the config, and strips tokens when landing is none', () => {
    const env = {CLAUDECODE: '1', CLAUDE_CODE_SESSION_ID: 's', GH_TOKEN: 'g', CODEBERG_PAT: 'c', PATH: '/bin'}
    const out = workerEnv(env, {...config, landing: 'none'}, {mode: 'cascade', cascadeDepth: 2})
    expect(out).to.deep.equal({PATH: '/bin', DISPATCH_CASCADE_DEPTH: '2', DISPATCH_CONFIG: config.file})
    expect(workerEnv(env, config, {mode: 'interactive', cascadeDepth: 0})).to.include({GH_TOKEN: 'g'}).and.not.have.property('DISPATCH_CASCADE_DEPTH')
  })
})

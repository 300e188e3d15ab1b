import {expect} from 'chai'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {applyWorktree, decideWorktree, fetchOrigin, parseWorktreeList, readBranchFacts, type BranchFacts, type WorktreePlan, type WorktreeRequest} from '../../src/lib/worktree/index.js'
import {git, makeRepo, makeSandbox, type Sandbox} from '../support/helpers.js'

describe('worktrees', function () {
  this.timeout(60_000)
  let sb: Sandbox
  beforeEach(() => {
    sb = makeSandbox()
  })
  afterEach(() => sb.cleanup())

  const req = (checkout: string, number = 12, title = 'Fix the thing') => ({checkout, worktreeRoot: sb.worktreeRoot, owner: 'acme', repo: 'api', number, title})
  /** What a dispatch does: fetch origin (prepare), read the branch facts and decide (settle), make the worktree (execute). */
  const makeWorktree = async (r: WorktreeRequest, busy: string[] = []): Promise<WorktreePlan> => {
    await fetchOrigin(r.checkout)
    const plan = decideWorktree(r, await readBranchFacts(r.checkout, r.number), busy)
    await applyWorktree(r.checkout, plan)
    return plan
  }

  it('creates <root>/<owner>/<repo>/issue-N-slug on dispatch/issue-N-slug from origin/<default>', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const plan = await makeWorktree(req(checkout))
    expect(plan).to.deep.include({action: 'create', branch: 'dispatch/issue-12-fix-the-thing', defaultBranch: 'main', path: path.join(sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-thing')})
    expect(git(plan.path, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('dispatch/issue-12-fix-the-thing')
    expect(git(plan.path, 'rev-parse', 'HEAD')).to.equal(git(checkout, 'rev-parse', 'origin/main'))
  })

  it('reads a default branch that is not main, and starts from the freshest origin state', async () => {
    const checkout = makeRepo(sb, 'acme', 'api', {defaultBranch: 'trunk'})
    // Someone else pushes to origin; the local checkout has not fetched it.
    const other = path.join(sb.dir, 'other')
    git(sb.dir, 'clone', '-q', path.join(sb.remotes, 'acme', 'api.git'), other)
    writeFileSync(path.join(other, 'new.txt'), 'x')
    git(other, 'add', '.')
    git(other, 'commit', '-q', '-m', 'upstream change')
    git(other, 'push', '-q', 'origin', 'trunk')
    const plan = await makeWorktree(req(checkout))
    expect(plan.defaultBranch).to.equal('trunk')
    expect(git(plan.path, 'log', '-1', '--format=%s')).to.equal('upstream change')
  })

  it('works without an origin, from the checkout branch', async () => {
    const checkout = makeRepo(sb, 'acme', 'api', {defaultBranch: 'develop', origin: false})
    const plan = await makeWorktree(req(checkout))
    expect(plan).to.deep.include({defaultBranch: 'develop', startPoint: 'develop'})
  })

  it('reuses an existing worktree even after the title changed', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const first = await makeWorktree(req(checkout))
    const again = await makeWorktree(req(checkout, 12, 'A completely new title'))
    expect(again).to.deep.include({action: 'reuse', path: first.path, branch: first.branch})
  })

  it('checks out an existing branch as it is, keeping unmerged commits (never resets)', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    git(checkout, 'branch', 'dispatch/issue-12-fix-the-thing')
    git(checkout, 'checkout', '-q', 'dispatch/issue-12-fix-the-thing')
    writeFileSync(path.join(checkout, 'work.txt'), 'precious')
    git(checkout, 'add', '.')
    git(checkout, 'commit', '-q', '-m', 'unmerged work')
    const tip = git(checkout, 'rev-parse', 'HEAD')
    git(checkout, 'checkout', '-q', 'main')
    const plan = await makeWorktree(req(checkout))
    expect(plan.action).to.equal('checkout')
    expect(git(plan.path, 'rev-parse', 'HEAD')).to.equal(tip)
    expect(existsSync(path.join(plan.path, 'work.txt'))).to.equal(true)
  })

  it('keeps two owners\' repos of the same name apart', async () => {
    const a = makeRepo(sb, 'acme', 'api')
    const b = makeRepo(sb, 'Solo-Dev', 'api')
    const pa = await makeWorktree(req(a, 1))
    const pb = await makeWorktree({...req(b, 1), owner: 'Solo-Dev'})
    expect(pa.path).not.to.equal(pb.path)
    expect(pb.path).to.include(path.join('Solo-Dev', 'api'))
  })

  it('refuses a path that exists but is not a worktree', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const plan = decideWorktree(req(checkout), await readBranchFacts(checkout, 12))
    const {mkdirSync} = await import('node:fs')
    mkdirSync(plan.path, {recursive: true})
    const error = await makeWorktree(req(checkout)).catch((e) => e)
    expect(error.message).to.match(/already exists but is not a worktree/)
  })

  it('gives 10 concurrent requests into one repo their 10 worktrees', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const plans = await Promise.all(Array.from({length: 10}, (_, i) => makeWorktree(req(checkout, i + 1, `task ${i + 1}`))))
    expect(new Set(plans.map((p) => p.path)).size).to.equal(10)
    const listed = parseWorktreeList(git(checkout, 'worktree', 'list', '--porcelain'))
    expect(listed.filter((w) => w.branch?.startsWith('dispatch/'))).to.have.length(10)
  })

  describe('one worker per worktree: decideWorktree with busy worktrees', () => {
    const name = 'issue-12-fix-the-thing'
    const at = (suffix = '') => path.join(sb.worktreeRoot, 'acme', 'api', name + suffix)
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

    it('makes the -2 worktree on its own branch and leaves the busy one alone', async () => {
      const checkout = makeRepo(sb, 'acme', 'api')
      const first = await makeWorktree(req(checkout))
      writeFileSync(path.join(first.path, 'wip.txt'), 'busy')
      const second = await makeWorktree(req(checkout), [first.path])
      expect(second).to.deep.include({path: `${first.path}-2`, branch: `${first.branch}-2`, action: 'create', slot: 2})
      expect(git(second.path, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal(`${first.branch}-2`)
      expect(git(first.path, 'status', '--porcelain')).to.equal('?? wip.txt')
    })
  })

  it('parses git worktree list --porcelain', () => {
    const text = 'worktree /r\nHEAD abc\nbranch refs/heads/main\n\nworktree /w\nHEAD def\ndetached\nprunable gitdir file points to non-existent location\n'
    expect(parseWorktreeList(text)).to.deep.equal([
      {path: '/r', branch: 'main', prunable: false},
      {path: '/w', branch: undefined, prunable: true},
    ])
  })
})

import {expect} from 'chai'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {applyWorktree, fetchOrigin} from '../../../src/lib/worktree/apply.js'
import {decideWorktree, type WorktreePlan, type WorktreeRequest} from '../../../src/lib/worktree/decide.js'
import {parseWorktreeList, readBranchFacts} from '../../../src/lib/worktree/read.js'
import {useSandbox} from '../../support/forge-sandbox.js'
import {git, makeRepo} from '../../support/helpers.js'

describe('worktree: read, decide and apply on real repositories', function () {
  this.timeout(60_000)
  const t = useSandbox(false)

  const req = (checkout: string, number = 12, title = 'Fix the thing') => ({checkout, worktreeRoot: t.sb.worktreeRoot, owner: 'acme', repo: 'api', number, title})
  /** What a dispatch does: fetch origin (prepare), read the branch facts and decide (settle), make the worktree (execute). */
  const makeWorktree = async (r: WorktreeRequest, busy: string[] = []): Promise<WorktreePlan> => {
    await fetchOrigin(r.checkout)
    const plan = decideWorktree(r, await readBranchFacts(r.checkout, r.number), busy)
    await applyWorktree(r.checkout, plan)
    return plan
  }

  it('creates <root>/<owner>/<repo>/issue-N-slug on dispatch/issue-N-slug from origin/<default>', async () => {
    const checkout = makeRepo(t.sb, 'acme', 'api')
    const plan = await makeWorktree(req(checkout))
    expect(plan).to.deep.include({action: 'create', branch: 'dispatch/issue-12-fix-the-thing', defaultBranch: 'main', path: path.join(t.sb.worktreeRoot, 'acme', 'api', 'issue-12-fix-the-thing')})
    expect(git(plan.path, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal('dispatch/issue-12-fix-the-thing')
    expect(git(plan.path, 'rev-parse', 'HEAD')).to.equal(git(checkout, 'rev-parse', 'origin/main'))
  })

  it('reads a default branch that is not main, and starts from the freshest origin state', async () => {
    const checkout = makeRepo(t.sb, 'acme', 'api', {defaultBranch: 'trunk'})
    // Someone else pushes to origin; the local checkout has not fetched it.
    const other = path.join(t.sb.dir, 'other')
    git(t.sb.dir, 'clone', '-q', path.join(t.sb.remotes, 'acme', 'api.git'), other)
    writeFileSync(path.join(other, 'new.txt'), 'x')
    git(other, 'add', '.')
    git(other, 'commit', '-q', '-m', 'upstream change')
    git(other, 'push', '-q', 'origin', 'trunk')
    const plan = await makeWorktree(req(checkout))
    expect(plan.defaultBranch).to.equal('trunk')
    expect(git(plan.path, 'log', '-1', '--format=%s')).to.equal('upstream change')
  })

  it('works without an origin, from the checkout branch', async () => {
    const checkout = makeRepo(t.sb, 'acme', 'api', {defaultBranch: 'develop', origin: false})
    const plan = await makeWorktree(req(checkout))
    expect(plan).to.deep.include({defaultBranch: 'develop', startPoint: 'develop'})
  })

  it('reuses an existing worktree even after the title changed', async () => {
    const checkout = makeRepo(t.sb, 'acme', 'api')
    const first = await makeWorktree(req(checkout))
    const again = await makeWorktree(req(checkout, 12, 'A completely new title'))
    expect(again).to.deep.include({action: 'reuse', path: first.path, branch: first.branch})
  })

  it('checks out an existing branch as it is, keeping unmerged commits (never resets)', async () => {
    const checkout = makeRepo(t.sb, 'acme', 'api')
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
    const a = makeRepo(t.sb, 'acme', 'api')
    const b = makeRepo(t.sb, 'Solo-Dev', 'api')
    const pa = await makeWorktree(req(a, 1))
    const pb = await makeWorktree({...req(b, 1), owner: 'Solo-Dev'})
    expect(pa.path).not.to.equal(pb.path)
    expect(pb.path).to.include(path.join('Solo-Dev', 'api'))
  })

  it('refuses a path that exists but is not a worktree', async () => {
    const checkout = makeRepo(t.sb, 'acme', 'api')
    const plan = decideWorktree(req(checkout), await readBranchFacts(checkout, 12))
    mkdirSync(plan.path, {recursive: true})
    const error = await makeWorktree(req(checkout)).catch((e) => e)
    expect(error.message).to.match(/already exists but is not a worktree/)
  })

  it('gives 10 concurrent requests into one repo their 10 worktrees', async () => {
    const checkout = makeRepo(t.sb, 'acme', 'api')
    const plans = await Promise.all(Array.from({length: 10}, (_, i) => makeWorktree(req(checkout, i + 1, `task ${i + 1}`))))
    expect(new Set(plans.map((p) => p.path)).size).to.equal(10)
    const listed = parseWorktreeList(git(checkout, 'worktree', 'list', '--porcelain'))
    expect(listed.filter((w) => w.branch?.startsWith('dispatch/'))).to.have.length(10)
  })

  it('makes the -2 worktree on its own branch and leaves the busy one alone', async () => {
    const checkout = makeRepo(t.sb, 'acme', 'api')
    const first = await makeWorktree(req(checkout))
    writeFileSync(path.join(first.path, 'wip.txt'), 'busy')
    const second = await makeWorktree(req(checkout), [first.path])
    expect(second).to.deep.include({path: `${first.path}-2`, branch: `${first.branch}-2`, action: 'create', slot: 2})
    expect(git(second.path, 'rev-parse', '--abbrev-ref', 'HEAD')).to.equal(`${first.branch}-2`)
    expect(git(first.path, 'status', '--porcelain')).to.equal('?? wip.txt')
  })
})

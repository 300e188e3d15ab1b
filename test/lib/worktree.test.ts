import {expect} from 'chai'
import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {ensureWorktree, parseWorktreeList, planWorktree} from '../../src/lib/worktree.js'
import {git, makeRepo, makeSandbox, type Sandbox} from '../support/helpers.js'

describe('worktrees', function () {
  this.timeout(60_000)
  let sb: Sandbox
  beforeEach(() => {
    sb = makeSandbox()
  })
  afterEach(() => sb.cleanup())

  const req = (checkout: string, number = 12, title = 'Fix the thing') => ({checkout, worktreeRoot: sb.worktreeRoot, owner: 'acme', repo: 'api', number, title})

  it('creates <root>/<owner>/<repo>/issue-N-slug on dispatch/issue-N-slug from origin/<default>', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const plan = await ensureWorktree(req(checkout))
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
    const plan = await ensureWorktree(req(checkout))
    expect(plan.defaultBranch).to.equal('trunk')
    expect(git(plan.path, 'log', '-1', '--format=%s')).to.equal('upstream change')
  })

  it('works without an origin, from the checkout branch', async () => {
    const checkout = makeRepo(sb, 'acme', 'api', {defaultBranch: 'develop', origin: false})
    const plan = await ensureWorktree(req(checkout))
    expect(plan).to.deep.include({defaultBranch: 'develop', startPoint: 'develop'})
  })

  it('reuses an existing worktree even after the title changed', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const first = await ensureWorktree(req(checkout))
    const again = await ensureWorktree(req(checkout, 12, 'A completely new title'))
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
    const plan = await ensureWorktree(req(checkout))
    expect(plan.action).to.equal('checkout')
    expect(git(plan.path, 'rev-parse', 'HEAD')).to.equal(tip)
    expect(existsSync(path.join(plan.path, 'work.txt'))).to.equal(true)
  })

  it('keeps two owners\' repos of the same name apart', async () => {
    const a = makeRepo(sb, 'acme', 'api')
    const b = makeRepo(sb, 'Solo-Dev', 'api')
    const pa = await ensureWorktree(req(a, 1))
    const pb = await ensureWorktree({...req(b, 1), owner: 'Solo-Dev'})
    expect(pa.path).not.to.equal(pb.path)
    expect(pb.path).to.include(path.join('Solo-Dev', 'api'))
  })

  it('refuses a path that exists but is not a worktree', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const plan = await planWorktree(req(checkout))
    const {mkdirSync} = await import('node:fs')
    mkdirSync(plan.path, {recursive: true})
    const error = await ensureWorktree(req(checkout)).catch((e) => e)
    expect(error.message).to.match(/already exists but is not a worktree/)
  })

  it('gives 10 concurrent requests into one repo their 10 worktrees', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const plans = await Promise.all(Array.from({length: 10}, (_, i) => ensureWorktree(req(checkout, i + 1, `task ${i + 1}`))))
    expect(new Set(plans.map((p) => p.path)).size).to.equal(10)
    const listed = parseWorktreeList(git(checkout, 'worktree', 'list', '--porcelain'))
    expect(listed.filter((w) => w.branch?.startsWith('dispatch/'))).to.have.length(10)
  })

  it('parses git worktree list --porcelain', () => {
    const text = 'worktree /r\nHEAD abc\nbranch refs/heads/main\n\nworktree /w\nHEAD def\ndetached\nprunable gitdir file points to non-existent location\n'
    expect(parseWorktreeList(text)).to.deep.equal([
      {path: '/r', branch: 'main', prunable: false},
      {path: '/w', branch: undefined, prunable: true},
    ])
  })
})

import {expect} from 'chai'
import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {RootIndex, canonicalPath, claimOverlap, locate, locateTargets, relativeOverlap, repoOfRef, resolveClaims, splitClaims, type ClaimTarget, type RepoRoot} from '../../src/lib/claims/index.js'
import {UsageError} from '../../src/lib/errors.js'
import {findConflicts, recordRoots, type SidequestRecord} from '../../src/lib/registry/index.js'

describe('claims', () => {
  describe('claimOverlap (absolute paths)', () => {
    const table: Array<[string, string, string | undefined]> = [
      ['/a/b', '/a/b', 'exact'],
      ['/a/b', '/a/b/c.ts', 'ancestor'],
      ['/a/b/c', '/a', 'descendant'],
      ['/a/b', '/a/bc', undefined],
      ['/a/bc', '/a/b', undefined],
      ['/a/b', '/x/y', undefined],
      ['/', '/etc', 'ancestor'],
    ]
    for (const [claim, target, reason] of table) {
      it(`${claim} vs ${target}: ${reason ?? 'no overlap'}`, () => {
        expect(claimOverlap(claim, target)).to.equal(reason)
      })
    }
  })

  describe('relativeOverlap (repository-relative paths)', () => {
    const table: Array<[string, string, string | undefined]> = [
      ['src', 'src', 'exact'],
      ['src/', 'src', 'exact'],
      ['src', 'src/auth/login.ts', 'ancestor'],
      ['src/auth', 'src', 'descendant'],
      ['.', 'src', 'ancestor'],
      ['src', '.', 'descendant'],
      ['.', '.', 'exact'],
      ['src', 'srcx', undefined],
      ['src/auth', 'docs', undefined],
    ]
    for (const [claim, target, reason] of table) {
      it(`${claim} vs ${target}: ${reason ?? 'no overlap'}`, () => {
        expect(relativeOverlap(claim, target)).to.equal(reason)
      })
    }
  })

  describe('locate: the deepest known root', () => {
    const roots: RepoRoot[] = [
      {dir: '/ws/acme/api', repo: 'acme/api'},
      {dir: '/wt/acme/api/issue-1-x', repo: 'acme/api'},
      // A worktreeRoot nested in a checkout of another repository.
      {dir: '/ws/acme/web/.worktrees/issue-2', repo: 'acme/api'},
      {dir: '/ws/acme/web', repo: 'acme/web'},
    ]
    const table: Array<[string, {repo: string; rel: string} | undefined]> = [
      ['/ws/acme/api', {repo: 'acme/api', rel: '.'}],
      ['/ws/acme/api/src/auth', {repo: 'acme/api', rel: 'src/auth'}],
      ['/wt/acme/api/issue-1-x/src', {repo: 'acme/api', rel: 'src'}],
      ['/ws/acme/web/.worktrees/issue-2/lib', {repo: 'acme/api', rel: 'lib'}],
      ['/ws/acme/web/src', {repo: 'acme/web', rel: 'src'}],
      ['/ws/acme/apix/src', undefined],
      ['/ws/acme', undefined],
      ['/tmp/src', undefined],
    ]
    for (const [abs, want] of table) {
      it(`${abs} → ${want ? `${want.repo}:${want.rel}` : 'nowhere'}`, () => {
        const got = locate(abs, roots)
        expect(got && {repo: got.repo, rel: got.rel}).to.deep.equal(want)
      })
    }
  })

  it('repoOfRef takes the repository from a canonical ref', () => {
    expect(repoOfRef('acme/api#12')).to.equal('acme/api')
    expect(repoOfRef('acme/api')).to.equal('acme/api')
  })

  it('splits comma-separated, repeated --claims and drops empties and duplicates', () => {
    expect(splitClaims(['src, docs', 'src', '', ' ,'])).to.deep.equal(['src', 'docs'])
  })

  describe('on disk', () => {
    let dir: string
    let roots: RepoRoot[]
    before(() => {
      dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-claims-')))
      for (const d of ['repo/src', 'wt/src/auth', 'elsewhere']) mkdirSync(path.join(dir, d), {recursive: true})
      symlinkSync(path.join(dir, 'repo'), path.join(dir, 'link'))
      roots = [
        {dir: path.join(dir, 'repo'), repo: 'acme/api'},
        {dir: path.join(dir, 'wt'), repo: 'acme/api'},
      ]
    })
    after(() => rmSync(dir, {recursive: true, force: true}))

    it('canonicalPath resolves ., .. and relative paths against cwd', () => {
      expect(canonicalPath('./src/../src/x.ts', path.join(dir, 'repo'))).to.equal(path.join(dir, 'repo', 'src', 'x.ts'))
    })

    it('canonicalPath resolves symlinks, also for paths that do not exist yet', () => {
      expect(canonicalPath(path.join(dir, 'link', 'src'), '/')).to.equal(path.join(dir, 'repo', 'src'))
      expect(canonicalPath(path.join(dir, 'link', 'new', 'file'), '/')).to.equal(path.join(dir, 'repo', 'new', 'file'))
    })

    const ok: Array<[string, string[], string, string[]]> = [
      ['relative, from the checkout', ['src/auth'], 'repo', ['src/auth']],
      ['relative, from a subdirectory of a worktree', ['auth,../docs'], 'wt/src', ['src/auth', 'docs']],
      ['relative, from outside the repository: from its root', ['src', 'docs/'], 'elsewhere', ['src', 'docs']],
      ['absolute into a worktree, from outside', ['@/wt/src/auth/login.ts'], 'elsewhere', ['src/auth/login.ts']],
      ['absolute through a symlink into the checkout', ['@/link/src'], 'wt', ['src']],
      ['the whole repository', ['.'], 'repo', ['.']],
      ['the same claim twice, written two ways', ['src', './src/', '@/wt/src'], 'repo', ['src']],
    ]
    for (const [what, values, cwd, want] of ok) {
      it(`resolveClaims: ${what}`, () => {
        const claims = values.map((v) => v.replaceAll('@', dir))
        expect(resolveClaims(claims, {cwd: path.join(dir, cwd), repo: 'acme/api', roots})).to.deep.equal(want)
      })
    }

    const bad: Array<[string, string, string]> = [
      ['an absolute path outside', '/etc/passwd', 'repo'],
      ['a relative path climbing out of the checkout', '../elsewhere', 'repo'],
      ['a relative path climbing out, from outside', '../x', 'elsewhere'],
      ['an absolute path next to the repository', '@/elsewhere/src', 'wt'],
    ]
    for (const [what, value, cwd] of bad) {
      it(`resolveClaims refuses ${what} (exit 2, naming it)`, () => {
        const claim = value.replaceAll('@', dir)
        let error: unknown
        try {
          resolveClaims(['src', claim], {cwd: path.join(dir, cwd), repo: 'acme/api', roots})
        } catch (e) {
          error = e
        }
        expect(error).to.be.instanceOf(UsageError)
        expect((error as UsageError).exitCode).to.equal(2)
        expect((error as UsageError).message).to.include(`Claim ${claim} is outside acme/api`)
      })
    }

    it('locateTargets asks git only for paths under no known root, once per repository', async () => {
      const known = new RootIndex([{dir: path.join(dir, 'repo'), repo: 'acme/api'}])
      const asked: string[] = []
      // wt is another worktree of repo; elsewhere is in no repository.
      const discover = async (d: string) => {
        asked.push(d)
        return d.startsWith(path.join(dir, 'wt')) ? {toplevel: path.join(dir, 'wt'), main: path.join(dir, 'repo')} : undefined
      }
      const targets = await locateTargets(['src/a.ts', path.join(dir, 'wt', 'src', 'auth', 'x.ts'), path.join(dir, 'wt', 'src'), 'src/b.ts', '/abs/none'], path.join(dir, 'repo'), known, discover)
      expect(targets.map((t) => [t.repo, t.rel])).to.deep.equal([
        ['acme/api', 'src/a.ts'],
        ['acme/api', 'src/auth/x.ts'],
        ['acme/api', 'src'],
        ['acme/api', 'src/b.ts'],
        [null, null],
      ])
      expect(asked).to.deep.equal([path.join(dir, 'wt', 'src', 'auth'), '/'])
      asked.length = 0
      const outside = await locateTargets(['src/a.ts', 'docs/', '../up'], path.join(dir, 'elsewhere'), known, discover)
      expect(outside.map((t) => [t.repo, t.rel, Boolean(t.anyRepo)])).to.deep.equal([
        [null, 'src/a.ts', true],
        [null, 'docs', true],
        [null, null, false],
      ])
      // One question for the directory both relative paths start from, one for the parent.
      expect(asked).to.deep.equal([path.join(dir, 'elsewhere'), dir])
    })
  })

  describe('findConflicts', () => {
    const rec = (pid: number, ref: string, claims: string[], extra: Partial<SidequestRecord> = {}) =>
      ({pid, ref, paths_claimed: claims, cwd: `/wt/${pid}`, ...extra}) as unknown as SidequestRecord
    const records = [
      rec(1, 'acme/api#1', ['src', 'docs'], {repo: 'acme/api', checkout: '/ws/acme/api'}),
      rec(2, 'acme/api#2', ['src/auth/login.ts'], {repo: 'acme/api'}),
      rec(3, 'acme/web#3', ['src'], {repo: 'acme/web', checkout: '/ws/acme/web'}),
      // Schema 1: absolute claims, one in the api checkout, one nowhere known.
      rec(4, 'acme/api#4', ['/ws/acme/api/lib', '/data/shared']),
    ]
    const roots = recordRoots(records)
    const target = (repo: string | null, rel: string | null, abs: string, anyRepo = false): ClaimTarget => ({repo, rel, abs, anyRepo})
    const table: Array<[string, ClaimTarget, Array<[number, string | null, string, string, string]>]> = [
      ['a path in api sees api claims only', target('acme/api', 'src/auth', '/wt/1/src/auth'), [
        [1, 'acme/api', 'src', 'src/auth', 'ancestor'],
        [2, 'acme/api', 'src/auth/login.ts', 'src/auth', 'descendant'],
      ]],
      ['the same relative path in web sees web claims only', target('acme/web', 'src/auth', '/ws/acme/web/src/auth'), [[3, 'acme/web', 'src', 'src/auth', 'ancestor']]],
      ['repository names compare case-insensitively', target('Acme/API', 'docs', '/x'), [[1, 'acme/api', 'docs', 'docs', 'exact']]],
      ['an old absolute claim in a known checkout is a repository claim', target('acme/api', 'lib/x.ts', '/wt/2/lib/x.ts'), [[4, 'acme/api', 'lib', 'lib/x.ts', 'ancestor']]],
      ['an old absolute claim elsewhere compares absolutely', target(null, null, '/data/shared/f'), [[4, null, '/data/shared', '/data/shared/f', 'ancestor']]],
      ['an absolute path containing a checkout sees its claims', target(null, null, '/ws/acme'), [
        [1, 'acme/api', 'src', '/ws/acme', 'descendant'],
        [1, 'acme/api', 'docs', '/ws/acme', 'descendant'],
        // pid 2 names no checkout, but its repository's checkout is known from pid 1.
        [2, 'acme/api', 'src/auth/login.ts', '/ws/acme', 'descendant'],
        [3, 'acme/web', 'src', '/ws/acme', 'descendant'],
        [4, 'acme/api', 'lib', '/ws/acme', 'descendant'],
      ]],
      ['a relative path from no repository checks every repository', target(null, 'src', '/tmp/src', true), [
        [1, 'acme/api', 'src', 'src', 'exact'],
        [2, 'acme/api', 'src/auth/login.ts', 'src', 'descendant'],
        [3, 'acme/web', 'src', 'src', 'exact'],
      ]],
      ['a sibling with a common prefix is free', target('acme/api', 'srcx', '/x'), []],
    ]
    for (const [what, t, want] of table) {
      it(what, () => {
        expect(findConflicts(records, t, roots).map((c) => [c.pid, c.repo, c.claim, c.path, c.reason])).to.deep.equal(want)
      })
    }

    it('still takes a canonical absolute path, placed through the records’ own roots', () => {
      expect(findConflicts(records, '/ws/acme/api/src/a.ts').map((c) => [c.pid, c.repo, c.claim, c.path])).to.deep.equal([[1, 'acme/api', 'src', 'src/a.ts']])
    })
  })
})

import {expect} from 'chai'
import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {RootIndex, type RepoRoot} from '../../../src/lib/claims/roots.js'
import {locateTargets, resolveClaims, splitClaims} from '../../../src/lib/claims/targets.js'
import {UsageError} from '../../../src/lib/errors.js'

describe('claims: targets', () => {
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
})

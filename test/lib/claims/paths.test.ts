import {expect} from 'chai'
import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {canonicalPath, claimOverlap, relativeOverlap, repoOfRef} from '../../../src/lib/claims/paths.js'

describe('claims: paths', () => {
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

  it('repoOfRef takes the repository from a canonical ref', () => {
    expect(repoOfRef('acme/api#12')).to.equal('acme/api')
    expect(repoOfRef('acme/api')).to.equal('acme/api')
  })

  describe('canonicalPath (on disk)', () => {
    let dir: string
    before(() => {
      dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-claims-')))
      mkdirSync(path.join(dir, 'repo', 'src'), {recursive: true})
      symlinkSync(path.join(dir, 'repo'), path.join(dir, 'link'))
    })
    after(() => rmSync(dir, {recursive: true, force: true}))

    it('canonicalPath resolves ., .. and relative paths against cwd', () => {
      expect(canonicalPath('./src/../src/x.ts', path.join(dir, 'repo'))).to.equal(path.join(dir, 'repo', 'src', 'x.ts'))
    })

    it('canonicalPath resolves symlinks, also for paths that do not exist yet', () => {
      expect(canonicalPath(path.join(dir, 'link', 'src'), '/')).to.equal(path.join(dir, 'repo', 'src'))
      expect(canonicalPath(path.join(dir, 'link', 'new', 'file'), '/')).to.equal(path.join(dir, 'repo', 'new', 'file'))
    })
  })
})

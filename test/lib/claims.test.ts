import {expect} from 'chai'
import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {canonicalPath, claimOverlap, parseClaims} from '../../src/lib/claims.js'
import {findConflicts, type SidequestRecord} from '../../src/lib/registry.js'

describe('claims', () => {
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

  describe('on disk', () => {
    let dir: string
    before(() => {
      dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-claims-')))
      mkdirSync(path.join(dir, 'repo', 'src'), {recursive: true})
      symlinkSync(path.join(dir, 'repo'), path.join(dir, 'link'))
    })
    after(() => rmSync(dir, {recursive: true, force: true}))

    it('resolves ., .. and relative paths against cwd', () => {
      expect(canonicalPath('./src/../src/x.ts', path.join(dir, 'repo'))).to.equal(path.join(dir, 'repo', 'src', 'x.ts'))
    })

    it('resolves symlinks, also for paths that do not exist yet', () => {
      expect(canonicalPath(path.join(dir, 'link', 'src'), '/')).to.equal(path.join(dir, 'repo', 'src'))
      expect(canonicalPath(path.join(dir, 'link', 'new', 'file'), '/')).to.equal(path.join(dir, 'repo', 'new', 'file'))
    })

    it('splits comma-separated, repeated --claims and drops duplicates', () => {
      expect(parseClaims(['src, docs', 'src', ''], path.join(dir, 'repo'))).to.deep.equal([path.join(dir, 'repo', 'src'), path.join(dir, 'repo', 'docs')])
    })
  })

  it('finds every (worker, claim) pair that overlaps, across several workers', () => {
    const rec = (pid: number, claims: string[]) => ({pid, ref: `acme/api#${pid}`, paths_claimed: claims}) as unknown as SidequestRecord
    const conflicts = findConflicts([rec(1, ['/r/src', '/r/docs']), rec(2, ['/r/src/auth/login.ts']), rec(3, ['/r/srcx'])], '/r/src/auth')
    expect(conflicts).to.deep.equal([
      {pid: 1, ref: 'acme/api#1', claim: '/r/src', path: '/r/src/auth', reason: 'ancestor'},
      {pid: 2, ref: 'acme/api#2', claim: '/r/src/auth/login.ts', path: '/r/src/auth', reason: 'descendant'},
    ])
  })
})

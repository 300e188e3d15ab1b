import {expect} from 'chai'

import type {ClaimTarget} from '../../../src/lib/claims/roots.js'
import {findConflicts, recordRoots} from '../../../src/lib/registry/conflicts.js'
import type {SidequestRecord} from '../../../src/lib/registry/record.js'

describe('registry: conflicts', () => {
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

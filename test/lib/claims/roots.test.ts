import {expect} from 'chai'

import {locate, type RepoRoot} from '../../../src/lib/claims/roots.js'

describe('claims: roots', () => {
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
})

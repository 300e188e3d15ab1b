import {expect} from 'chai'

import {ForgejoForge} from '../../../src/lib/forges/forgejo.js'
import {GitHubForge} from '../../../src/lib/forges/github.js'
import type {ForgeKind} from '../../../src/lib/issue-ref.js'
import {OutcomeLookup, type OutcomeTarget} from '../../../src/lib/outcome/index.js'
import {dispatchBranch} from '../../support/branches.js'
import {useForgeSandbox, type FakeForge} from '../../support/forge-sandbox.js'
import {git} from '../../support/helpers.js'
import {startSilentServer} from '../../support/silent-server.js'

/** Clients of both forges on given API URLs, as the composition root makes them. */
function clients(urls: {github: {apiUrl: string; webUrl: string}; forgejo: {apiUrl: string; baseUrl: string}}, timeoutMs: number) {
  return {
    github: new GitHubForge({...urls.github, token: 'ghp_test', timeoutMs, retryBaseMs: 10}),
    forgejo: new ForgejoForge({...urls.forgejo, token: 'fj_test', tokenEnv: 'FORGEJO_TOKEN', timeoutMs, retryBaseMs: 10}),
  }
}

function lookupOn(c: ReturnType<typeof clients>, timeoutMs: number): OutcomeLookup {
  return new OutcomeLookup({timeoutMs, forge: async (kind) => c[kind]})
}

describe('outcome lookup: git in the checkout, then the pull request and its checks', function () {
  this.timeout(30_000)
  const t = useForgeSandbox({repos: ['acme/api']})
  let forge: FakeForge, checkout: string
  beforeEach(() => ({forge, checkouts: {'acme/api': checkout}} = t))
  const branch = (name: string, n: number, push: boolean) => dispatchBranch(t.sb, checkout, name, n, push)

  const target = (kind: ForgeKind, name: string): OutcomeTarget => ({forge: kind, owner: 'acme', repo: 'api', branch: `dispatch/${name}`, dir: checkout})

  for (const kind of ['github', 'forgejo'] as const) {
    describe(`on ${kind}`, () => {
      beforeEach(() => forge.servePulls({forge: kind, owner: 'acme', repo: 'api'}))

      it('no branch: nothing local, nothing on origin, no pull request', async () => {
        const o = await lookupOn(clients(forge, 30_000), 30_000).of(target(kind, 'issue-1-never'))
        expect(o).to.deep.equal({branch: 'dispatch/issue-1-never', ahead: null, pushed: 'absent', pull_request: null, forge_error: null, summary: 'no branch'})
      })

      it('commits nobody pushed: "2 ahead"', async () => {
        branch('issue-2-local', 2, false)
        const o = await lookupOn(clients(forge, 30_000), 30_000).of(target(kind, 'issue-2-local'))
        expect(o).to.include({ahead: 2, pushed: 'absent', pull_request: null, forge_error: null, summary: '2 ahead'})
      })

      it('pushed without a pull request: "pushed"', async () => {
        branch('issue-3-pushed', 1, true)
        const o = await lookupOn(clients(forge, 30_000), 30_000).of(target(kind, 'issue-3-pushed'))
        expect(o).to.include({ahead: 1, pushed: 'up-to-date', pull_request: null, summary: 'pushed'})
      })

      it('an open draft with failing checks: "PR #N draft ✗"', async () => {
        const {tip} = branch('issue-4-draft', 1, true)
        forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 14, branch: 'dispatch/issue-4-draft', headSha: tip, state: 'draft'})
        if (kind === 'github') {
          // One passing check run and one failing commit status: the status kind counts too.
          forge.addCheckRun({owner: 'acme', repo: 'api', sha: tip, name: 'build', conclusion: 'success'})
          forge.addStatus({owner: 'acme', repo: 'api', sha: tip, context: 'ci/legacy', state: 'failure'})
        } else {
          forge.addStatus({forge: 'forgejo', owner: 'acme', repo: 'api', sha: tip, context: 'ci/build', state: 'success'})
          forge.addStatus({forge: 'forgejo', owner: 'acme', repo: 'api', sha: tip, context: 'ci/test', state: 'failure'})
        }
        const o = await lookupOn(clients(forge, 30_000), 30_000).of(target(kind, 'issue-4-draft'))
        const url = kind === 'github' ? `${forge.base}/gh/acme/api/pull/14` : `${forge.base}/fj/acme/api/pulls/14`
        expect(o.pull_request).to.deep.equal({number: 14, url, state: 'draft', head_sha: tip, checks: 'failure'})
        expect(o.summary).to.equal('PR #14 draft ✗')
      })

      it('an open pull request whose checks passed: "PR #N open ✓"', async () => {
        const {tip} = branch('issue-5-green', 1, true)
        forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 15, branch: 'dispatch/issue-5-green', headSha: tip})
        if (kind === 'github') forge.addCheckRun({owner: 'acme', repo: 'api', sha: tip, conclusion: 'success'})
        else forge.addStatus({forge: 'forgejo', owner: 'acme', repo: 'api', sha: tip, state: 'success'})
        const o = await lookupOn(clients(forge, 30_000), 30_000).of(target(kind, 'issue-5-green'))
        expect(o.summary).to.equal('PR #15 open ✓')
      })

      it('squash-merged: git sees no merge, the forge says merged', async () => {
        const {tip} = branch('issue-6-squashed', 2, true)
        // The squash: one new commit on main with the branch's changes, pushed; the branch stays as it was.
        git(checkout, 'commit', '-q', '--allow-empty', '-m', 'Squashed work (#16)')
        git(checkout, 'push', '-q', 'origin', 'main')
        forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 16, branch: 'dispatch/issue-6-squashed', headSha: tip, state: 'merged'})
        const o = await lookupOn(clients(forge, 30_000), 30_000).of(target(kind, 'issue-6-squashed'))
        expect(o).to.include({ahead: 2, summary: 'PR #16 merged'})
        expect(o.pull_request).to.include({state: 'merged', head_sha: tip, checks: null})
      })

      it('closed unmerged: "PR #N closed"', async () => {
        const {tip} = branch('issue-7-closed', 1, true)
        forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 17, branch: 'dispatch/issue-7-closed', headSha: tip, state: 'closed'})
        const o = await lookupOn(clients(forge, 30_000), 30_000).of(target(kind, 'issue-7-closed'))
        expect(o).to.include({summary: 'PR #17 closed'})
        expect(o.pull_request).to.include({state: 'closed'})
      })

      it('asks once per branch, however many records share it', async () => {
        branch('issue-8-twice', 1, true)
        const lookup = lookupOn(clients(forge, 30_000), 30_000)
        const [a, b] = await Promise.all([lookup.of(target(kind, 'issue-8-twice')), lookup.of(target(kind, 'issue-8-twice'))])
        expect(a).to.equal(b)
        const asked = forge.requests.filter((r) => r.path.includes('/pulls'))
        expect(asked).to.have.length(1)
      })
    })
  }

  it('GitHub asks with state=all and head=<owner>:<branch> (a merged pull request is not "open")', async () => {
    const {tip} = branch('issue-9-merged', 1, true)
    forge.addPull({owner: 'acme', repo: 'api', number: 19, branch: 'dispatch/issue-9-merged', headSha: tip, state: 'merged'})
    // Another branch's pull request must not speak for this one.
    forge.addPull({owner: 'acme', repo: 'api', number: 20, branch: 'dispatch/issue-9-merged-too', headSha: tip, state: 'open'})
    const o = await lookupOn(clients(forge, 30_000), 30_000).of(target('github', 'issue-9-merged'))
    expect(o.summary).to.equal('PR #19 merged')
  })

  it('a forge that is down (closed port) degrades to "unknown" and keeps what git knows', async () => {
    branch('issue-10-down', 3, false)
    const closed = {github: {apiUrl: 'http://127.0.0.1:2/api', webUrl: 'http://127.0.0.1:2'}, forgejo: {apiUrl: 'http://127.0.0.1:2/api/v1', baseUrl: 'http://127.0.0.1:2'}}
    for (const kind of ['github', 'forgejo'] as const) {
      const o = await lookupOn(clients(closed, 30_000), 30_000).of(target(kind, 'issue-10-down'))
      expect(o, kind).to.include({ahead: 3, pushed: 'absent', pull_request: null, summary: 'unknown'})
      expect(o.forge_error, kind).to.match(/127\.0\.0\.1:2/)
    }
  })

  it('a forge that hangs is given up on when the lookup budget runs out', async () => {
    branch('issue-11-hang', 1, false)
    const {base, close} = await startSilentServer()
    try {
      for (const kind of ['github', 'forgejo'] as const) {
        // Each request alone would wait 20 s; the whole lookup has 800 ms.
        const c = clients({github: {apiUrl: `${base}/api`, webUrl: base}, forgejo: {apiUrl: `${base}/api/v1`, baseUrl: base}}, 20_000)
        const started = Date.now()
        const o = await lookupOn(c, 800).of(target(kind, 'issue-11-hang'))
        const took = Date.now() - started
        expect(took, kind).to.be.below(3000)
        expect(o, kind).to.include({summary: 'unknown', pull_request: null})
        expect(o.forge_error, kind).to.match(/no answer within 0\.8 s|Timed out/)
      }
    } finally {
      await close()
    }
  })
})

import {expect} from 'chai'
import http from 'node:http'

import {FailureError, NotFoundError, PolicyError} from '../../../src/lib/errors.js'
import {createForges, resolveIssue} from '../../../src/lib/forges/index.js'
import {MAX_BODY_BYTES} from '../../../src/lib/forges/body.js'
import {loopbackConfig, useFakeForge, type FakeForge} from '../../support/forge-sandbox.js'

describe('issue resolution against a loopback forge', function () {
  this.timeout(20_000)
  const t = useFakeForge()
  const owners = ['acme', 'Solo-Dev']
  let forge: FakeForge
  beforeEach(() => ({forge} = t))
  const resolve = (ref: string, withForgejo = false, timeoutMs = 30_000, allowedOwners = owners) => {
    const config = loopbackConfig(forge, {forgejo: withForgejo, timeoutMs, allowedOwners})
    return resolveIssue(ref, config, t.forges(config), t.warn)
  }

  it('fetches a GitHub issue with the token and uses the canonical names', async () => {
    forge.addIssue({owner: 'Acme', repo: 'API', number: 12, title: 'Fix it', body: 'details'})
    const issue = await resolve('acme/api#12')
    expect(issue).to.include({forge: 'github', owner: 'Acme', repo: 'API', number: 12, title: 'Fix it', body: 'details', state: 'open', ref: 'Acme/API#12'})
    expect(forge.requests[0].headers.authorization).to.equal('token ghp_testtoken123')
  })

  it('accepts an owner that differs from the allow-list only by case', async () => {
    forge.addIssue({owner: 'solo-dev', repo: 'x', number: 1})
    expect((await resolve('SOLO-DEV/x#1')).ref).to.equal('solo-dev/x#1')
  })

  it('refuses an owner outside the allow-list before any request', async () => {
    const error = await resolve('evil/x#1').catch((e) => e)
    expect(error).to.be.instanceOf(PolicyError)
    expect(error.message).to.match(/"evil" is not in allowedOwners/)
    expect(forge.requests).to.have.length(0)
  })

  it('refuses closed issues, pull requests, and issues without a state', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 1, state: 'closed'})
    forge.addIssue({owner: 'acme', repo: 'api', number: 2, pull: true})
    forge.addIssue({owner: 'acme', repo: 'api', number: 3, omitState: true})
    expect(await resolve('acme/api#1').catch((e) => e)).to.be.instanceOf(PolicyError).with.property('message').that.match(/is closed/)
    expect(await resolve('acme/api#2').catch((e) => e)).to.be.instanceOf(PolicyError).with.property('message').that.match(/pull request/)
    expect(await resolve('acme/api#3').catch((e) => e)).to.be.instanceOf(PolicyError).with.property('message').that.match(/unknown state/)
  })

  it('treats state case-insensitively ("OPEN" is open)', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 4, extra: {state: 'OPEN'}})
    expect((await resolve('acme/api#4')).state).to.equal('open')
  })

  it('follows a transfer inside the allow-list and refuses one outside it', async () => {
    forge.addIssue({owner: 'solo-dev', repo: 'new', number: 5})
    forge.transfer({from: {owner: 'acme', repo: 'old', number: 5}, to: {owner: 'solo-dev', repo: 'new', number: 5}})
    const moved = await resolve('acme/old#5')
    expect(moved.ref).to.equal('solo-dev/new#5')
    expect(moved.movedFrom).to.equal('acme/old#5')

    forge.addIssue({owner: 'outsider', repo: 'new', number: 6})
    forge.transfer({from: {owner: 'acme', repo: 'old', number: 6}, to: {owner: 'outsider', repo: 'new', number: 6}})
    const error = await resolve('acme/old#6').catch((e) => e)
    expect(error).to.be.instanceOf(PolicyError)
    expect(error.message).to.include('outsider/new')
  })

  it('refuses an issue whose repository_url names a repository outside the allow-list', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 7, extra: {repository_url: `${forge.github.apiUrl}/repos/mallory/api`}})
    expect(await resolve('acme/api#7').catch((e) => e)).to.be.instanceOf(PolicyError).with.property('message').that.include('mallory')
  })

  it('reports 404 and 410 as not found, naming the host', async () => {
    forge.script('GET /gh-api/repos/acme/api/issues/9', [{status: 410, body: {message: 'This issue was deleted'}}])
    forge.addMissing({owner: 'acme', repo: 'api', number: 8})
    const missing = await resolve('acme/api#8').catch((e) => e)
    expect(missing).to.be.instanceOf(NotFoundError)
    expect(missing.message).to.match(/not found on 127\.0\.0\.1:\d+ \(404\)/)
    const gone = await resolve('acme/api#9').catch((e) => e)
    expect(gone).to.be.instanceOf(NotFoundError)
    expect(gone.message).to.match(/deleted .*410/)
  })

  it('reports a rate limit with its reset time', async () => {
    const reset = Math.floor(Date.now() / 1000) + 3600
    forge.script('GET /gh-api/repos/acme/api/issues/10', [
      {status: 403, body: {message: 'API rate limit exceeded'}, headers: {'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-limit': '60'}},
    ])
    const error = await resolve('acme/api#10').catch((e) => e)
    expect(error).to.be.instanceOf(FailureError)
    expect(error.message).to.match(/rate-limiting/)
    expect(error.message).to.include(new Date(reset * 1000).toISOString())
  })

  it('retries a server error and succeeds', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 11})
    forge.script('GET /gh-api/repos/acme/api/issues/11', [{status: 500}])
    expect((await resolve('acme/api#11')).number).to.equal(11)
    expect(forge.requestsTo('/gh-api/repos/acme/api/issues/11')).to.have.length(2)
  })

  it('gives up on persistent server errors with a message naming the host', async () => {
    // The first try and two retries: three answers, every one of them used.
    forge.script('GET /gh-api/repos/acme/api/issues/13', [{status: 502}, {status: 502}, {status: 502}])
    const error = await resolve('acme/api#13').catch((e) => e)
    expect(error).to.be.instanceOf(FailureError)
    expect(forge.requestsTo('/gh-api/repos/acme/api/issues/13')).to.have.length(3)
    expect(error.message).to.match(/127\.0\.0\.1:\d+ failed with 502/)
  })

  it('times out a slow answer and says which host', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 14})
    // 3 s for the request to reach the loopback forge in this (busy) process; the answer would take 30 s.
    forge.script('GET /gh-api/repos/acme/api/issues/14', [{status: 200, delayMs: 30_000}])
    const error = await resolve('acme/api#14', false, 3000).catch((e) => e)
    expect(error).to.be.instanceOf(FailureError)
    expect(error.message).to.match(/Timed out after 3 s waiting for 127\.0\.0\.1/)
  })

  it('reports a refused connection', async () => {
    const server = http.createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as {port: number}).port
    await new Promise<void>((r) => server.close(() => r()))
    const config = loopbackConfig(forge, {allowedOwners: owners})
    config.github = {apiUrl: `http://127.0.0.1:${port}`, webUrl: 'https://github.com'}
    const error = await resolveIssue('acme/api#1', config, createForges(config, t.env, () => {})).catch((e) => e)
    expect(error).to.be.instanceOf(FailureError)
    expect(error.message).to.match(new RegExp(`Could not reach 127\\.0\\.0\\.1:${port}: fetch failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\.`))
  })

  describe('Forgejo', () => {
    it('fetches a Forgejo issue with its token', async () => {
      forge.addIssue({forge: 'forgejo', owner: 'acme', repo: 'site', number: 3, title: 'Forgejo issue'})
      const issue = await resolve('acme/site#3', true)
      expect(issue).to.include({forge: 'forgejo', ref: 'acme/site#3', title: 'Forgejo issue'})
      expect(issue.apiUrl).to.equal(`${forge.forgejo.apiUrl}/repos/acme/site/issues/3`)
      expect(forge.requests[0].headers.authorization).to.equal('token fj_testtoken456')
    })

    it('routes a short ref to GitHub only when Forgejo answers 404', async () => {
      forge.addIssue({owner: 'acme', repo: 'api', number: 20})
      forge.addMissing({forge: 'forgejo', owner: 'acme', repo: 'api', number: 20})
      const issue = await resolve('acme/api#20', true)
      expect(issue.forge).to.equal('github')
      expect(forge.requests.map((r) => r.path)).to.deep.equal(['/fj/api/v1/repos/acme/api/issues/20', '/gh-api/repos/acme/api/issues/20'])
    })

    it('reports any other Forgejo failure instead of falling back', async () => {
      forge.addIssue({owner: 'acme', repo: 'api', number: 21})
      forge.script('GET /fj/api/v1/repos/acme/api/issues/21', [{status: 500}, {status: 500}, {status: 500}])
      const error = await resolve('acme/api#21', true).catch((e) => e)
      expect(error).to.be.instanceOf(FailureError)
      expect(forge.requestsTo('/gh-api/repos/acme/api/issues/21')).to.have.length(0)
      forge.script('GET /fj/api/v1/repos/acme/api/issues/22', [{status: 410}])
      expect(await resolve('acme/api#22', true).catch((e) => e)).to.be.instanceOf(NotFoundError)
      expect(forge.requestsTo('/gh-api/repos/acme/api/issues/22')).to.have.length(0)
    })

    it('sends a Forgejo URL to Forgejo only, and refuses pull requests there', async () => {
      forge.addIssue({forge: 'forgejo', owner: 'acme', repo: 'site', number: 4, pull: true})
      const error = await resolve(`${forge.forgejo.baseUrl}/acme/site/issues/4`, true).catch((e) => e)
      expect(error).to.be.instanceOf(PolicyError)
      expect(forge.requests.every((r) => r.path.startsWith('/fj/'))).to.equal(true)
    })

    it('refuses a Forgejo issue whose repository moved outside the allow-list', async () => {
      forge.addIssue({forge: 'forgejo', owner: 'acme', repo: 'site', number: 5, extra: {repository: {id: 1, name: 'site', owner: 'mallory', full_name: 'mallory/site'}}})
      expect(await resolve('acme/site#5', true).catch((e) => e)).to.be.instanceOf(PolicyError).with.property('message').that.include('mallory')
    })
  })

  describe('names the forge reports', () => {
    // Each answer names a repository a typed ref could not: refused (exit 3) before any path is built from it.
    const gh = (path: string) => `GH_API/repos/${path}`
    const github: Array<[string, Record<string, unknown>]> = [
      ['repository_url ending in ..', {repository_url: gh('acme/..')}],
      ['repository_url with a percent-encoded ..', {repository_url: gh('acme/%2e%2e')}],
      ['repository_url with an extra segment (a/b)', {repository_url: gh('acme/a/b')}],
      ['repository_url with an encoded slash', {repository_url: gh('acme/a%2Fb')}],
      ['repository_url ending in .git', {repository_url: gh('acme/x.git')}],
      ['repository_url with non-ASCII letters', {repository_url: gh('acme/ap\u0131')}],
      ['repository_url with an undecodable escape', {repository_url: gh('acme/%zz')}],
      ['repository_url on another API', {repository_url: 'https://api.github.com/repos/acme/api'}],
      ['html_url naming another repository', {html_url: 'https://github.com/acme/other/issues/30'}],
      ['html_url with .. as the repository', {html_url: 'https://github.com/acme/../issues/30'}],
      ['html_url that is not http', {html_url: 'javascript:alert(1)//acme/api/issues/30'}],
      ['a number that is not positive', {number: -1}],
    ]
    for (const [what, extra] of github) {
      it(`refuses a GitHub answer with ${what}`, async () => {
        const fixed = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, typeof v === 'string' ? v.replace('GH_API', forge.github.apiUrl) : v]))
        forge.addIssue({owner: 'acme', repo: 'api', number: 30, extra: fixed})
        const error = await resolve('acme/api#30').catch((e) => e)
        expect(error, String(error)).to.be.instanceOf(PolicyError)
        expect(error.message).to.match(/^127\.0\.0\.1:\d+ answered issue acme\/api#30 with \S+ /)
      })
    }

    const forgejo: Array<[string, Record<string, unknown>]> = [
      ['repository.name ..', {repository: {name: '..', owner: 'acme', full_name: 'acme/..'}}],
      ['repository.name a/b', {repository: {name: 'a/b', owner: 'acme'}}],
      ['repository.name x.git', {repository: {name: 'x.git', owner: 'acme', full_name: 'acme/x.git'}}],
      ['repository.owner with non-ASCII letters', {repository: {name: 'site', owner: 'acmé', full_name: 'acmé/site'}}],
      ['only a full_name with three parts', {repository: {full_name: 'acme/site/extra'}}],
      ['only a full_name %2e%2e', {repository: {full_name: 'acme/%2e%2e'}}],
      ['a full_name that disagrees with owner/name', {repository: {name: 'site', owner: 'acme', full_name: 'mallory/site'}}],
      ['html_url naming another repository', {html_url: 'https://forgejo.example/acme/other/issues/31'}],
    ]
    for (const [what, extra] of forgejo) {
      it(`refuses a Forgejo answer with ${what}`, async () => {
        forge.addIssue({forge: 'forgejo', owner: 'acme', repo: 'site', number: 31, extra})
        const error = await resolve('acme/site#31', true).catch((e) => e)
        expect(error, String(error)).to.be.instanceOf(PolicyError)
        expect(error.message).to.match(/answered issue acme\/site#31 with /)
      })
    }

    for (const [forgeKind, repo] of [['github', 'x.git'], ['github', 'a/b'], ['github', 'd\u00e9j\u00e0'], ['forgejo', 'x.git'], ['forgejo', 'a/b']] as const) {
      it(`refuses a ${forgeKind} transfer (301) to ${JSON.stringify(repo)}`, async () => {
        forge.addIssue({forge: forgeKind, owner: 'acme', repo, number: 7})
        forge.transfer({forge: forgeKind, from: {owner: 'acme', repo: 'old', number: 32}, to: {owner: 'acme', repo, number: 7}})
        const error = await resolve('acme/old#32', forgeKind === 'forgejo').catch((e) => e)
        expect(error, String(error)).to.be.instanceOf(PolicyError)
        expect(error.message).to.match(/answered issue acme\/old#32 with/)
      })
    }

    it('keeps names that pass, and html_url on another host (a Forgejo behind another name)', async () => {
      forge.addIssue({forge: 'forgejo', owner: 'acme', repo: 'site.v2', number: 33, extra: {html_url: 'https://code.example.org/acme/site.v2/issues/33'}})
      const issue = await resolve('acme/site.v2#33', true)
      expect(issue).to.include({owner: 'acme', repo: 'site.v2', url: 'https://code.example.org/acme/site.v2/issues/33'})
    })
  })

  describe('one forge per owner', () => {
    it('falls back from a Forgejo 404 to GitHub for a bare owner, with a warning and a mark', async () => {
      forge.addIssue({owner: 'acme', repo: 'api', number: 40})
      forge.addMissing({forge: 'forgejo', owner: 'acme', repo: 'api', number: 40})
      const issue = await resolve('acme/api#40', true)
      expect(issue).to.include({forge: 'github', forgeFallback: true})
      expect(t.warnings.join('\n')).to.match(/acme\/api#40 is not on Forgejo \(127\.0\.0\.1:\d+\); looking it up on GitHub .*forgejo:acme or github:acme/)
    })

    it('marks nothing when Forgejo has the issue', async () => {
      forge.addIssue({forge: 'forgejo', owner: 'acme', repo: 'site', number: 41})
      const issue = await resolve('acme/site#41', true)
      expect(issue.forgeFallback).to.equal(undefined)
      expect(t.warnings).to.deep.equal([])
    })

    it('never falls back to GitHub for an owner allowed as forgejo: only', async () => {
      forge.addIssue({owner: 'acme', repo: 'api', number: 42})
      forge.addMissing({forge: 'forgejo', owner: 'acme', repo: 'api', number: 42})
      const error = await resolve('acme/api#42', true, 2000, ['forgejo:acme']).catch((e) => e)
      expect(error).to.be.instanceOf(NotFoundError)
      expect(error.suggestion).to.match(/GitHub was not asked: allowedOwners admits "acme" on Forgejo only/)
      expect(forge.requests.map((r) => r.path)).to.deep.equal(['/fj/api/v1/repos/acme/api/issues/42'])
    })

    it('goes straight to GitHub for an owner allowed as github:', async () => {
      forge.addIssue({owner: 'acme', repo: 'api', number: 43})
      const issue = await resolve('acme/api#43', true, 2000, ['github:acme'])
      expect(issue.forge).to.equal('github')
      expect(forge.requests.map((r) => r.path)).to.deep.equal(['/gh-api/repos/acme/api/issues/43'])
    })

    it('refuses a URL on the forge the owner is not allowed on, before any request', async () => {
      const onGitHub = await resolve(`${forge.github.webUrl}/acme/api/issues/44`, true, 2000, ['forgejo:acme']).catch((e) => e)
      expect(onGitHub).to.be.instanceOf(PolicyError)
      expect(onGitHub.message).to.match(/"acme" is allowed on Forgejo only, but this issue is on GitHub/)
      const onForgejo = await resolve(`${forge.forgejo.baseUrl}/acme/api/issues/44`, true, 2000, ['github:acme']).catch((e) => e)
      expect(onForgejo).to.be.instanceOf(PolicyError)
      expect(forge.requests).to.have.length(0)
    })

    it('refuses a transfer to an owner allowed only on the other forge', async () => {
      forge.addIssue({owner: 'team', repo: 'api', number: 45})
      forge.transfer({from: {owner: 'acme', repo: 'api', number: 45}, to: {owner: 'team', repo: 'api', number: 45}})
      const error = await resolve('acme/api#45', true, 2000, ['github:acme', 'forgejo:team']).catch((e) => e)
      expect(error).to.be.instanceOf(PolicyError)
      expect(error.message).to.match(/"team" is allowed on Forgejo only, but this issue is on GitHub \(the issue now lives in team\/api\)/)
    })
  })

  describe('response size', () => {
    const cases: Array<[string, boolean, boolean]> = [
      ['a GitHub gzip body that inflates past the cap', false, true],
      ['a large plain GitHub body', false, false],
      ['a Forgejo gzip body that inflates past the cap', true, true],
      ['a large plain Forgejo body', true, false],
    ]
    for (const [what, onForgejo, gzip] of cases) {
      it(`stops reading ${what}, naming the host`, async () => {
        const line = onForgejo ? 'GET /fj/api/v1/repos/acme/site/issues/50' : 'GET /gh-api/repos/acme/api/issues/50'
        forge.script(line, [{flood: {bytes: 8 * MAX_BODY_BYTES, gzip}}])
        const error = await resolve(onForgejo ? `${forge.forgejo.baseUrl}/acme/site/issues/50` : 'acme/api#50', onForgejo).catch((e) => e)
        expect(error, String(error)).to.be.instanceOf(FailureError)
        expect(error.message).to.match(/^127\.0\.0\.1:\d+ sent a response larger than 4 MiB \(after decompression\)/)
        // One request: a body too large is not retried.
        expect(forge.requestsTo(line.slice(4))).to.have.length(1)
      })
    }
  })
})

import {expect} from 'chai'
import http from 'node:http'

import type {Config} from '../../src/lib/config.js'
import {FailureError, NotFoundError, PolicyError} from '../../src/lib/errors.js'
import {createForges, resolveIssue} from '../../src/lib/forges/index.js'
import {startFakeForge} from '../support/fake-forge.mjs'

type FakeForge = Awaited<ReturnType<typeof startFakeForge>>

function configFor(forge: FakeForge, withForgejo: boolean, timeoutMs = 2000): Config {
  return {
    file: '/dev/null',
    allowedOwners: ['acme', 'Solo-Dev'],
    workspace: {root: '/nonexistent', layout: '{owner}/{repo}'},
    repos: {},
    worktreeRoot: '/nonexistent/wt',
    stateDir: '/nonexistent/state',
    maxActive: 8,
    healthWindowMs: 1000,
    timeoutMs,
    github: forge.github,
    forgejo: withForgejo ? {...forge.forgejo, tokenEnv: 'FORGEJO_TOKEN'} : undefined,
    claude: {bin: 'claude', permissionMode: 'auto', allowedTools: [], extraArgs: []},
    landing: 'pr',
    interactive: {surface: 'auto'},
    notify: {desktop: false, timeoutMs: 1000},
    prompts: {},
  }
}

describe('issue resolution against a loopback forge', function () {
  this.timeout(20_000)
  let forge: FakeForge
  const warnings: string[] = []
  const env = {GH_TOKEN: 'ghp_testtoken123', FORGEJO_TOKEN: 'fj_testtoken456', PATH: ''}
  const resolve = (ref: string, withForgejo = false, timeoutMs = 2000) => {
    const config = configFor(forge, withForgejo, timeoutMs)
    return resolveIssue(ref, config, createForges(config, env, (m) => warnings.push(m)))
  }

  beforeEach(async () => {
    forge = await startFakeForge()
    warnings.length = 0
  })
  afterEach(() => forge.close())

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
    forge.script('GET /gh-api/repos/acme/api/issues/13', [{status: 502}, {status: 502}, {status: 502}, {status: 502}])
    const error = await resolve('acme/api#13').catch((e) => e)
    expect(error).to.be.instanceOf(FailureError)
    expect(error.message).to.match(/127\.0\.0\.1:\d+ failed with 502/)
  })

  it('times out a slow answer and says which host', async () => {
    forge.addIssue({owner: 'acme', repo: 'api', number: 14})
    forge.script('GET /gh-api/repos/acme/api/issues/14', [{status: 200, delayMs: 3000}])
    const started = Date.now()
    const error = await resolve('acme/api#14', false, 500).catch((e) => e)
    expect(error).to.be.instanceOf(FailureError)
    expect(error.message).to.match(/Timed out after 0\.5 s waiting for 127\.0\.0\.1/)
    expect(Date.now() - started).to.be.below(2900)
  })

  it('reports a refused connection', async () => {
    const server = http.createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as {port: number}).port
    await new Promise<void>((r) => server.close(() => r()))
    const config = configFor(forge, false)
    config.github = {apiUrl: `http://127.0.0.1:${port}`, webUrl: 'https://github.com'}
    const error = await resolveIssue('acme/api#1', config, createForges(config, env, () => {})).catch((e) => e)
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
})

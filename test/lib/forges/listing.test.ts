import {expect} from 'chai'

import {FailureError, NotFoundError, PolicyError, UsageError} from '../../../src/lib/errors.js'
import {labelledIssues, parseRepoFlag} from '../../../src/lib/forges/labelled.js'
import {checkLabel, hasNextPage, issuesOfPage} from '../../../src/lib/forges/listing.js'
import {loopbackConfig, useFakeForge, type FakeForge} from '../../support/forge-sandbox.js'

describe('forges: open issues by label', () => {
  describe('pure parts', () => {
    const links: Array<[string | undefined, boolean]> = [
      [undefined, false],
      ['', false],
      ['<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"', true],
      ['<https://api.github.com/repositories/1/issues?page=1>; rel="first", <https://api.github.com/repositories/1/issues?page=4>; rel="prev"', false],
      ['<https://f.example/api/v1/repos/a/b/issues?page=3>; rel="next"', true],
      ['<https://f.example/x?page=3>; rel=next', true],
      ['<https://f.example/x?page=3>; rel="nextish"', false],
    ]
    for (const [link, next] of links) it(`hasNextPage(${JSON.stringify(link)}) is ${next}`, () => expect(hasNextPage(link)).to.equal(next))

    it('checkLabel takes one label and refuses an empty one or a comma', () => {
      expect(checkLabel(' ready ')).to.equal('ready')
      expect(checkLabel('good first issue')).to.equal('good first issue')
      expect(() => checkLabel('  ')).to.throw(UsageError, /--label is empty/)
      expect(() => checkLabel('a,b')).to.throw(UsageError, /one label, got "a,b"[\s\S]*/)
    })

    it('parseRepoFlag takes owner/repo only', () => {
      expect(parseRepoFlag('acme/api')).to.deep.equal({owner: 'acme', repo: 'api'})
      for (const bad of ['acme', 'acme/api/x', '/api', 'acme/..', 'acme/api.git', 'acme/a b']) expect(() => parseRepoFlag(bad), bad).to.throw(UsageError, /--repo must be owner\/repo/)
    })

    it('issuesOfPage leaves out pull requests, other states and issues without the label', () => {
      const page = [
        {number: 5, title: 'five', state: 'open', labels: [{name: 'Ready'}]},
        {number: 4, title: 'pr', state: 'open', labels: [{name: 'ready'}], pull_request: {url: 'x'}},
        {number: 3, title: 'closed', state: 'closed', labels: [{name: 'ready'}]},
        {number: 2, title: 'unlabelled', state: 'open', labels: []},
        {number: 1, title: 'fj pr null', state: 'open', labels: [{name: 'ready'}], pull_request: null},
      ]
      expect(issuesOfPage('h', 'w', page, 'ready')).to.deep.equal([{number: 5, title: 'five'}, {number: 1, title: 'fj pr null'}])
      expect(() => issuesOfPage('h', 'w', {message: 'nope'}, 'ready')).to.throw(FailureError, /something other than a list/)
      expect(() => issuesOfPage('h', 'w', [{number: -1, labels: [{name: 'ready'}]}], 'ready')).to.throw(FailureError, /valid number/)
    })
  })

  describe('against the loopback forge', function () {
    this.timeout(20_000)
    const t = useFakeForge()
    let forge: FakeForge
    beforeEach(() => ({forge} = t))
    const list = (repo: string, label: string, limit: number, opts: {forgejo?: boolean; timeoutMs?: number; owners?: string[]} = {}) => {
      const config = loopbackConfig(forge, {forgejo: opts.forgejo, timeoutMs: opts.timeoutMs, allowedOwners: opts.owners})
      return labelledIssues(repo, label, limit, config, t.forges(config), t.warn)
    }

    it('GitHub: follows pages, leaves out pull requests and other labels, newest first, up to the limit', async () => {
      for (let n = 1; n <= 130; n++) forge.addIssue({owner: 'acme', repo: 'api', number: n, labels: n % 10 === 0 ? ['other'] : ['ready', 'x'], pull: n % 7 === 0})
      forge.addIssue({owner: 'acme', repo: 'api', number: 131, labels: ['ready'], state: 'closed'})
      const all = await list('acme/api', 'ready', 500)
      const expected = Array.from({length: 130}, (_, i) => 130 - i).filter((n) => n % 10 !== 0 && n % 7 !== 0)
      expect(all.map((i) => i.ref)).to.deep.equal(expected.map((n) => `acme/api#${n}`))
      expect(all[0]).to.deep.equal({input: `${forge.github.webUrl}/acme/api/issues/129`, ref: 'acme/api#129', title: 'Issue 129'})
      const pages = forge.requestsTo('/gh-api/repos/acme/api/issues')
      expect(pages).to.have.length(2)
      expect(pages[0].headers.authorization).to.equal('token ghp_testtoken123')
      // Past the limit, no further page is read.
      forge.requests.length = 0
      expect((await list('acme/api', 'ready', 5)).map((i) => i.ref)).to.deep.equal(expected.slice(0, 5).map((n) => `acme/api#${n}`))
      expect(forge.requestsTo('/gh-api/repos/acme/api/issues')).to.have.length(1)
    })

    it('GitHub: retries a server error, reports a rate limit, a missing repository, and a slow page', async () => {
      forge.addIssue({owner: 'acme', repo: 'api', number: 1, labels: ['ready']})
      forge.script('GET /gh-api/repos/acme/api/issues', [{status: 502}])
      expect(await list('acme/api', 'ready', 10)).to.have.length(1)
      const reset = Math.floor(Date.now() / 1000) + 3600
      forge.script('GET /gh-api/repos/acme/api/issues', [{status: 403, body: {message: 'API rate limit exceeded'}, headers: {'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset)}}])
      const limited = await list('acme/api', 'ready', 10).catch((e) => e)
      expect(limited).to.be.instanceOf(FailureError)
      expect(limited.message).to.match(/rate-limiting/).and.include(new Date(reset * 1000).toISOString())
      forge.addMissing({owner: 'acme', repo: 'gone'})
      const missing = await list('acme/gone', 'ready', 10).catch((e) => e)
      expect(missing).to.be.instanceOf(NotFoundError)
      expect(missing.message).to.match(/Repository acme\/gone was not found on 127\.0\.0\.1:\d+ \(404\)/)
      forge.script('GET /gh-api/repos/acme/api/issues', [{status: 200, delayMs: 30_000}])
      const slow = await list('acme/api', 'ready', 10, {timeoutMs: 3000}).catch((e) => e)
      expect(slow).to.be.instanceOf(FailureError)
      expect(slow.message).to.match(/Timed out after 3 s waiting for 127\.0\.0\.1/)
    })

    it('refuses a page larger than the body cap, and an owner outside the allow-list before any request', async () => {
      forge.addRepo({owner: 'acme', repo: 'api'})
      forge.script('GET /gh-api/repos/acme/api/issues', [{flood: {bytes: 6 * 1024 * 1024, gzip: true}}])
      expect(await list('acme/api', 'ready', 10).catch((e) => e)).to.be.instanceOf(FailureError).with.property('message').that.match(/larger than 4 MiB/)
      const before = forge.requests.length
      expect(await list('mallory/api', 'ready', 10).catch((e) => e)).to.be.instanceOf(PolicyError).with.property('message').that.match(/"mallory" is not in allowedOwners/)
      expect(forge.requests).to.have.length(before)
    })

    it('an empty repository lists nothing', async () => {
      forge.addRepo({owner: 'acme', repo: 'api'})
      expect(await list('acme/api', 'ready', 10)).to.deep.equal([])
    })

    it('Forgejo: asks for issues only, follows pages of 50, and names Forgejo URLs', async () => {
      for (let n = 1; n <= 60; n++) forge.addIssue({forge: 'forgejo', owner: 'acme', repo: 'site', number: n, labels: n === 3 ? ['other'] : ['ready'], pull: n === 60})
      const all = await list('acme/site', 'ready', 100, {forgejo: true})
      expect(all.map((i) => i.ref)).to.deep.equal(Array.from({length: 59}, (_, i) => 59 - i).filter((n) => n !== 3).map((n) => `acme/site#${n}`))
      expect(all[0].input).to.equal(`${forge.forgejo.baseUrl}/acme/site/issues/59`)
      const pages = forge.requests.filter((r) => r.path === '/fj/api/v1/repos/acme/site/issues')
      expect(pages).to.have.length(2)
      expect(pages[0].headers.authorization).to.equal('token fj_testtoken456')
      expect(forge.requests.some((r) => r.path.startsWith('/gh-api'))).to.equal(false)
    })

    it('Forgejo: a repository not there (404) falls back to GitHub, saying so; a 500 is reported', async () => {
      forge.addMissing({forge: 'forgejo', owner: 'acme', repo: 'api'})
      forge.addIssue({owner: 'acme', repo: 'api', number: 2, labels: ['ready']})
      const listed = await list('acme/api', 'ready', 10, {forgejo: true})
      expect(listed.map((i) => i.input)).to.deep.equal([`${forge.github.webUrl}/acme/api/issues/2`])
      expect(t.warnings.join('\n')).to.match(/acme\/api is not on Forgejo .* listing it on GitHub/)
      forge.script('GET /fj/api/v1/repos/acme/api/issues', [{status: 500}, {status: 500}, {status: 500}])
      const error = await list('acme/api', 'ready', 10, {forgejo: true}).catch((e) => e)
      expect(error).to.be.instanceOf(FailureError)
      expect(error.message).to.match(/failed with 500/)
    })
  })
})

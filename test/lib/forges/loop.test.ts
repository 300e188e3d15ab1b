// The forge calls dispatch watch adds, against the strict loopback forge in both forges' shapes.
import {expect} from 'chai'

import {ForgeRateLimitError} from '../../../src/lib/forges/http-errors.js'
import {feedbackSince, reviewsOf} from '../../../src/lib/forges/loop.js'
import {loopbackConfig, useFakeForge} from '../../support/forge-sandbox.js'

const SHA = 'c'.repeat(40)
const OLD = '2026-12-01T10:00:00.000Z'
const SINCE = '2026-12-02T10:00:00.000Z'
const NEW = '2026-12-03T10:00:00.000Z'

describe('forges: what dispatch watch reads and writes', function () {
  this.timeout(30_000)
  const t = useFakeForge()

  for (const kind of ['github', 'forgejo'] as const) {
    const forgeOf = async () => {
      const forges = t.forges(loopbackConfig(t.forge, {forgejo: true}))
      return kind === 'github' ? forges.github() : forges.forgejo()!
    }

    it(`${kind}: failed checks with their output; the state combines them`, async () => {
      t.forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 9, branch: 'dispatch/issue-7-x', headSha: SHA})
      if (kind === 'github') {
        t.forge.addCheckRun({owner: 'acme', repo: 'api', sha: SHA, name: 'unit', conclusion: 'failure', output: {title: '2 failed', summary: 'expected 3 to equal 4', text: 'at add (src/add.ts:3)'}, detailsUrl: 'https://ci.test/run/1'})
        t.forge.addCheckRun({owner: 'acme', repo: 'api', sha: SHA, name: 'lint', conclusion: 'success'})
      }
      t.forge.addStatus({forge: kind, owner: 'acme', repo: 'api', sha: SHA, context: 'ci/old', state: 'failure', description: 'old failure'})
      // The newest status of a context speaks for it.
      t.forge.addStatus({forge: kind, owner: 'acme', repo: 'api', sha: SHA, context: 'ci/old', state: 'success', description: 'fixed'})
      t.forge.addStatus({forge: kind, owner: 'acme', repo: 'api', sha: SHA, context: 'ci/e2e', state: 'error', description: 'browser crashed', targetUrl: 'https://ci.test/e2e/5'})
      const forge = await forgeOf()
      const got = await forge.checkDetails('acme', 'api', SHA, {})
      expect(got.state).to.equal('failure')
      const expected = [
        ...(kind === 'github' ? [{name: 'unit', source: 'check-run', conclusion: 'failure', title: '2 failed', summary: 'expected 3 to equal 4', text: 'at add (src/add.ts:3)', url: `${t.forge.base}/gh/acme/api/runs/7000`}] : []),
        {name: 'ci/e2e', source: 'status', conclusion: 'error', title: null, summary: 'browser crashed', text: null, url: 'https://ci.test/e2e/5'},
      ]
      expect(got.failed).to.deep.equal(expected)
    })

    it(`${kind}: review feedback since a time: changes requested, reviews with words and inline comments, oldest first`, async () => {
      t.forge.addPull({forge: kind, owner: 'acme', repo: 'api', number: 9, branch: 'dispatch/issue-7-x', headSha: SHA})
      t.forge.addReview({forge: kind, owner: 'acme', repo: 'api', number: 9, user: 'old', state: 'CHANGES_REQUESTED', body: 'before the run', submittedAt: OLD})
      t.forge.addReview({forge: kind, owner: 'acme', repo: 'api', number: 9, user: 'ann', state: 'CHANGES_REQUESTED', body: 'Please rename add to sum.', submittedAt: NEW, comments: [{path: 'src/add.ts', line: 3, body: 'sum, not add'}]})
      t.forge.addReview({forge: kind, owner: 'acme', repo: 'api', number: 9, user: 'bob', state: 'APPROVED', body: '', submittedAt: NEW})
      const forge = await forgeOf()
      const got = await forge.reviewNotes('acme', 'api', 9, {since: SINCE})
      expect(got.changesRequested).to.equal(true)
      expect(got.notes.map((n) => [n.kind, n.author, n.body, n.path, n.line])).to.deep.equal([
        ['review', 'ann', 'Please rename add to sum.', null, null],
        ['comment', 'ann', 'sum, not add', 'src/add.ts', 3],
      ])
      expect(got.notes[0].state).to.equal('CHANGES_REQUESTED')
      // Nothing since a later time: no round to start.
      const none = await forge.reviewNotes('acme', 'api', 9, {since: '2026-12-05T00:00:00Z'})
      expect(none).to.deep.equal({changesRequested: false, notes: []})
    })

    it(`${kind}: one tracker comment, created and then edited in place`, async () => {
      t.forge.addIssue({forge: kind, owner: 'acme', repo: 'api', number: 7})
      const forge = await forgeOf()
      const made = await forge.createIssueComment('acme', 'api', 7, 'first', {})
      expect(made.id).to.be.a('number')
      await forge.updateIssueComment('acme', 'api', made.id, 'second', {})
      expect(t.forge.comments({forge: kind, owner: 'acme', repo: 'api', number: 7})).to.deep.equal([{id: made.id, body: 'second', edits: 1}])
    })
  }

  it('github: the same GET again is a conditional request answered 304, which costs no rate limit', async () => {
    t.forge.addPull({owner: 'acme', repo: 'api', number: 9, branch: 'b', headSha: SHA})
    const forges = t.forges(loopbackConfig(t.forge))
    const gh = await forges.github()
    const first = await gh.reviewNotes('acme', 'api', 9, {})
    const again = await gh.reviewNotes('acme', 'api', 9, {})
    expect(again).to.deep.equal(first)
    const reviews = t.forge.requestsTo('/gh-api/repos/acme/api/pulls/9/reviews')
    expect(reviews.map((r) => [r.status, Boolean(r.headers['if-none-match'])])).to.deep.equal([[200, false], [304, true]])
    t.forge.addIssue({owner: 'acme', repo: 'api', number: 1, labels: ['go']})
    await gh.listOpenIssues('acme', 'api', 'go', 100)
    await gh.listOpenIssues('acme', 'api', 'go', 100)
    expect(t.forge.requestsTo('/gh-api/repos/acme/api/issues').map((r) => r.status)).to.deep.equal([200, 304])
  })

  it('a rate limit is its own error with the forge\'s reset time', async () => {
    t.forge.addPull({owner: 'acme', repo: 'api', number: 9, branch: 'b', headSha: SHA})
    const reset = Math.floor(Date.now() / 1000) + 3600
    const limited = {status: 403, body: {message: 'API rate limit exceeded'}, headers: {'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset)}}
    t.forge.script('GET /gh-api/repos/acme/api/pulls/9/reviews', [limited, limited, limited, limited])
    t.forge.script('GET /fj/api/v1/repos/acme/api/pulls/9/reviews', [{status: 429, body: {message: 'slow down'}, headers: {'retry-after': '120'}}])
    t.forge.addPull({forge: 'forgejo', owner: 'acme', repo: 'api', number: 9, branch: 'b', headSha: SHA})
    const forges = t.forges(loopbackConfig(t.forge, {forgejo: true, timeoutMs: 20_000}))
    const gh = await forges.github()
    const e = await gh.reviewNotes('acme', 'api', 9, {}).then(() => undefined, (error: unknown) => error)
    expect(e).to.be.instanceOf(ForgeRateLimitError)
    expect((e as ForgeRateLimitError).resetAt!.getTime()).to.equal(reset * 1000)
    const f = await forges.forgejo()!.reviewNotes('acme', 'api', 9, {}).then(() => undefined, (error: unknown) => error)
    expect(f).to.be.instanceOf(ForgeRateLimitError)
    expect((f as ForgeRateLimitError).resetAt!.getTime()).to.be.closeTo(Date.now() + 120_000, 30_000)
    // Whatever the throttling plugin did not use of the script is fine to leave: clear it.
    t.forge.script('GET /gh-api/repos/acme/api/pulls/9/reviews', [])
  })

  it('a dismissed or pending review requests nothing; a later approval by the same reviewer lifts a change request', () => {
    const r = reviewsOf([
      {id: 1, user: {login: 'a'}, state: 'CHANGES_REQUESTED', body: 'no', submitted_at: NEW},
      {id: 2, user: {login: 'a'}, state: 'APPROVED', body: '', submitted_at: '2026-12-03T11:00:00Z'},
      {id: 3, user: {login: 'b'}, state: 'DISMISSED', body: 'x', submitted_at: NEW},
      {id: 4, user: {login: 'c'}, state: 'PENDING', body: 'draft', submitted_at: null},
    ])
    expect(feedbackSince(r, [], SINCE).changesRequested).to.equal(false)
  })
})

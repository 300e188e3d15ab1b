import {expect} from 'chai'
import fc from 'fast-check'

import {PolicyError, UsageError} from '../../src/lib/errors.js'
import {formatRef, isValidName, parseIssueRef} from '../../src/lib/issue-ref.js'

const hosts = {githubWebUrl: 'https://github.com', forgejoBaseUrl: 'https://code.example.org/git'}

describe('parseIssueRef', () => {
  const good: Array<[string, object]> = [
    ['acme/api#12', {owner: 'acme', repo: 'api', number: 12}],
    ['  acme/api#12\n', {owner: 'acme', repo: 'api', number: 12}],
    ['Acme-Org/my_repo.js#1', {owner: 'Acme-Org', repo: 'my_repo.js', number: 1}],
    ['https://github.com/acme/api/issues/7', {owner: 'acme', repo: 'api', number: 7, forge: 'github'}],
    ['HTTPS://GitHub.com/acme/api/issues/7', {owner: 'acme', repo: 'api', number: 7, forge: 'github'}],
    ['https://code.example.org/git/acme/api/issues/9', {owner: 'acme', repo: 'api', number: 9, forge: 'forgejo'}],
    // A link to a comment, or with tracking parameters, still names the issue (as for gh).
    ['https://github.com/acme/api/issues/136#issuecomment-1', {owner: 'acme', repo: 'api', number: 136, forge: 'github'}],
    ['https://github.com/acme/api/issues/136?foo=1', {owner: 'acme', repo: 'api', number: 136, forge: 'github'}],
    ['https://github.com/acme/api/issues/136?a=b/c#x/y', {owner: 'acme', repo: 'api', number: 136, forge: 'github'}],
    ['https://github.com/acme/api/issues/136#', {owner: 'acme', repo: 'api', number: 136, forge: 'github'}],
    ['https://code.example.org/git/acme/api/issues/9#issuecomment-44', {owner: 'acme', repo: 'api', number: 9, forge: 'forgejo'}],
  ]
  for (const [input, expected] of good) {
    it(`accepts ${JSON.stringify(input)}`, () => {
      expect(parseIssueRef(input, hosts)).to.deep.equal(expected)
    })
  }

  const bad = [
    'org/..#1',
    'org/.#1',
    '../repo#1',
    'org/repo.git#1',
    'org/repo#0',
    'org/repo#-1',
    'org/repo#1x',
    'org/repo#',
    'org/repo',
    'org#1',
    'a/b/c#1',
    'org/re po#1',
    'org/repo#01',
    'org/%2e%2e#1',
    '',
    '   ',
    'https://github.com.evil.example/org/repo/issues/1',
    'https://evil.example/org/repo/issues/1',
    'https://user@github.com/org/repo/issues/1',
    'https://github.com/org/../repo/issues/1',
    'https://github.com/org/repo/issues/1/',
    'https://github.com/org/repo/issues/1x#issuecomment-2',
    'https://github.com/org/repo/issues/#1',
    'https://github.com/org/repo/issues?q=1',
    'https://github.com/org/repo#issues/1',
    'https://github.com?/org/repo/issues/1',
    'https://github.com/org/../repo/issues/1#x',
    'https://github.com/org/repo/discussions/1',
    'http://github.com/org/repo/issues/1',
    'org/repo#1\u001b[31m',
  ]
  for (const input of bad) {
    it(`refuses ${JSON.stringify(input)} as a usage error naming the accepted forms`, () => {
      expect(() => parseIssueRef(input, hosts))
        .to.throw(UsageError)
        .with.property('suggestion')
        .that.includes('owner/repo#N')
    })
  }

  it('refuses pull-request URLs by policy', () => {
    expect(() => parseIssueRef('https://github.com/acme/api/pull/3', hosts)).to.throw(PolicyError, /pull request/)
    expect(() => parseIssueRef('https://code.example.org/git/acme/api/pulls/3', hosts)).to.throw(PolicyError, /pull request/)
    expect(() => parseIssueRef('https://github.com/acme/api/pull/3#discussion_r1', hosts)).to.throw(PolicyError, /pull request/)
  })

  it('honours a GitHub Enterprise web URL', () => {
    expect(parseIssueRef('https://ghe.corp.example/acme/api/issues/5', {githubWebUrl: 'https://ghe.corp.example'})).to.deep.equal({owner: 'acme', repo: 'api', number: 5, forge: 'github'})
    expect(() => parseIssueRef('https://github.com/acme/api/issues/5', {githubWebUrl: 'https://ghe.corp.example'})).to.throw(UsageError)
  })

  const nameChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'.split(''))
  const validName = fc.string({unit: nameChar, minLength: 1, maxLength: 30}).filter(isValidName)

  it('round-trips every accepted short reference (property)', () => {
    fc.assert(
      fc.property(validName, validName, fc.integer({min: 1, max: 10_000_000}), (owner, repo, number) => {
        const parsed = parseIssueRef(`${owner}/${repo}#${number}`, hosts)
        expect(formatRef(parsed)).to.equal(`${owner}/${repo}#${number}`)
        const url = parseIssueRef(`https://github.com/${owner}/${repo}/issues/${number}`, hosts)
        expect(formatRef(url)).to.equal(`${owner}/${repo}#${number}`)
      }),
    )
  })

  it('accepts nothing outside the grammar (property)', () => {
    const grammar = /^[A-Za-z0-9._-]{1,100}\/[A-Za-z0-9._-]{1,100}#[1-9][0-9]*$/
    fc.assert(
      fc.property(fc.string({maxLength: 40}), (s) => {
        let accepted: ReturnType<typeof parseIssueRef> | undefined
        try {
          accepted = parseIssueRef(s, hosts)
        } catch (error) {
          expect(error).to.satisfy((e: unknown) => e instanceof UsageError || e instanceof PolicyError)
          return
        }
        const text = s.trim()
        if (!text.includes('://')) {
          expect(text).to.match(grammar)
          expect(isValidName(accepted.owner) && isValidName(accepted.repo)).to.equal(true)
        }
      }),
      {numRuns: 2000},
    )
  })
})

import {expect} from 'chai'

import {bareNumber, refFromOrigin, type OriginFacts} from '../../src/lib/local-ref.js'
import {UsageError} from '../../src/lib/errors.js'

describe('bare issue numbers: refFromOrigin', () => {
  const github = {githubWebUrl: 'https://github.com'}
  const both = {githubWebUrl: 'https://github.com', forgejoBaseUrl: 'https://code.example.org'}
  const ghe = {githubWebUrl: 'https://ghe.corp.example'}
  const origin = (url: string): OriginFacts => ({kind: 'origin', url})

  it('tells a bare number from other refs', () => {
    expect(['12', '#12', ' 12 ', '007'].map(bareNumber)).to.deep.equal(['12', '12', '12', '007'])
    expect(['acme/api#12', '#', '12a', '', '-1', '1 2'].map(bareNumber)).to.deep.equal([undefined, undefined, undefined, undefined, undefined, undefined])
  })

  const table: Array<[string, string, OriginFacts, typeof both | typeof github, string]> = [
    ['https origin', '12', origin('https://github.com/acme/api.git'), github, 'acme/api#12'],
    ['https without .git', '#12', origin('https://github.com/acme/api'), github, 'acme/api#12'],
    ['scp-like ssh', '12', origin('git@github.com:acme/api.git'), github, 'acme/api#12'],
    ['ssh URL with port', '12', origin('ssh://git@github.com:22/Acme/my.repo.git'), github, 'Acme/my.repo#12'],
    ['credentials in the URL are not kept', '4', origin('https://x:tok@github.com/acme/api.git'), github, 'acme/api#4'],
    ['GitHub Enterprise', '5', origin('git@ghe.corp.example:team/svc.git'), ghe, 'team/svc#5'],
    ['GitHub with Forgejo configured names its forge', '6', origin('https://github.com/acme/api.git'), both, 'https://github.com/acme/api/issues/6'],
    ['Forgejo over https', '7', origin('https://code.example.org/acme/api.git'), both, 'https://code.example.org/acme/api/issues/7'],
    ['Forgejo over ssh', '7', origin('git@code.example.org:acme/api.git'), both, 'https://code.example.org/acme/api/issues/7'],
    ['Forgejo served under a path', '8', origin('https://host.example/git/acme/api.git'), {githubWebUrl: 'https://github.com', forgejoBaseUrl: 'https://host.example/git'}, 'https://host.example/git/acme/api/issues/8'],
    ['not a bare number: unchanged', 'acme/web#1', {kind: 'not-a-checkout'}, github, 'acme/web#1'],
  ]
  for (const [name, typed, facts, hosts, want] of table) {
    it(name, () => expect(refFromOrigin(typed, facts, hosts)).to.equal(want))
  }

  const refusals: Array<[string, OriginFacts, RegExp]> = [
    ['outside a checkout', {kind: 'not-a-checkout'}, /not in a git checkout/],
    ['no origin', {kind: 'no-origin'}, /no origin remote/],
    ['origin on another host', origin('https://gitlab.com/acme/api.git'), /origin https:\/\/gitlab\.com\/acme\/api\.git is not on a configured forge \(https:\/\/github\.com\)/],
    ['a local path origin', origin('/srv/git/acme/api.git'), /is not on a configured forge/],
    ['origin without owner/repo', origin('https://github.com/api'), /does not name an owner\/repo/],
    ['origin with more than owner/repo', origin('https://github.com/acme/api/tree/main'), /does not name an owner\/repo/],
    ['git could not read it', {kind: 'unreadable', detail: 'fatal: bad config line 1'}, /git could not read this checkout's origin \(fatal: bad config line 1\)/],
  ]
  for (const [name, facts, message] of refusals) {
    it(`usage error: ${name}`, () => {
      let caught: unknown
      try {
        refFromOrigin('12', facts, github)
      } catch (error) {
        caught = error
      }
      expect(caught).to.be.instanceOf(UsageError)
      expect((caught as UsageError).message).to.match(message)
      expect((caught as UsageError).suggestion).to.include('owner/repo#12')
    })
  }
})

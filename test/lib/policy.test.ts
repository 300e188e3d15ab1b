import {expect} from 'chai'

import {PolicyError, UsageError} from '../../src/lib/errors.js'
import type {ForgeKind} from '../../src/lib/issue-ref.js'
import {cascadeBudget, forgesForOwner, isOwnerAllowed, parseOwnerEntry, routeShortRef} from '../../src/lib/policy.js'

describe('policy', () => {
  it('matches owners case-insensitively and exactly', () => {
    expect(isOwnerAllowed('ACME', ['acme'])).to.equal(true)
    expect(isOwnerAllowed('acme-evil', ['acme'])).to.equal(false)
    expect(isOwnerAllowed('acm', ['acme'])).to.equal(false)
  })

  describe('allowedOwners entries with a forge', () => {
    const entries: Array<[string, ReturnType<typeof parseOwnerEntry>]> = [
      ['acme', {owner: 'acme'}],
      ['github:acme', {owner: 'acme', forge: 'github'}],
      ['forgejo:Acme', {owner: 'Acme', forge: 'forgejo'}],
      ['GitHub:acme', {owner: 'acme', forge: 'github'}],
      ['gitlab:acme', undefined],
      ['github:', undefined],
      [':acme', undefined],
      ['github:acme:x', undefined],
      ['forgejo:..', undefined],
      ['github:x.git', undefined],
      ['..', undefined],
      ['a/b', undefined],
    ]
    for (const [entry, expected] of entries) {
      it(`parses ${JSON.stringify(entry)}`, () => expect(parseOwnerEntry(entry)).to.deep.equal(expected))
    }

    const allowed = ['both', 'github:gh-only', 'forgejo:fj-only', 'forgejo:pinned-twice', 'github:pinned-twice']
    const table: Array<[string, ForgeKind | undefined, boolean]> = [
      ['both', 'github', true],
      ['BOTH', 'forgejo', true],
      ['both', undefined, true],
      ['gh-only', 'github', true],
      ['gh-only', 'forgejo', false],
      ['fj-only', 'forgejo', true],
      ['fj-only', 'github', false],
      ['FJ-ONLY', undefined, true],
      ['pinned-twice', 'github', true],
      ['pinned-twice', 'forgejo', true],
      ['stranger', undefined, false],
      ['fj', 'forgejo', false],
    ]
    for (const [owner, forge, expected] of table) {
      it(`${expected ? 'allows' : 'refuses'} ${owner} on ${forge ?? 'any forge'}`, () => expect(isOwnerAllowed(owner, allowed, forge)).to.equal(expected))
    }

    it('collects the forges an owner may come from', () => {
      expect([...forgesForOwner('both', allowed)].sort()).to.deep.equal(['forgejo', 'github'])
      expect([...forgesForOwner('fj-only', allowed)]).to.deep.equal(['forgejo'])
      expect([...forgesForOwner('nobody', allowed)]).to.deep.equal([])
    })

    const routes: Array<[string, string, boolean, ReturnType<typeof routeShortRef> | typeof PolicyError]> = [
      ['bare owner, GitHub only configured', 'both', false, {first: 'github', fallbackToGitHub: false}],
      ['bare owner, Forgejo configured: Forgejo, then GitHub', 'both', true, {first: 'forgejo', fallbackToGitHub: true}],
      ['forgejo: owner never falls back', 'fj-only', true, {first: 'forgejo', fallbackToGitHub: false}],
      ['github: owner goes straight to GitHub', 'gh-only', true, {first: 'github', fallbackToGitHub: false}],
      ['owner pinned to both forges', 'pinned-twice', true, {first: 'forgejo', fallbackToGitHub: true}],
      ['forgejo: owner without Forgejo configured', 'fj-only', false, PolicyError],
    ]
    for (const [what, owner, forgejo, expected] of routes) {
      it(`routes a short ref: ${what}`, () => {
        if (typeof expected === 'function') expect(() => routeShortRef(owner, allowed, forgejo)).to.throw(expected)
        else expect(routeShortRef(owner, allowed, forgejo)).to.deep.equal(expected)
      })
    }
  })

  describe('cascade budget', () => {
    const table: Array<[string, Parameters<typeof cascadeBudget>, number | typeof PolicyError | typeof UsageError]> = [
      ['top-level cascade defaults to 3', ['cascade', undefined, undefined], 3],
      ['top-level cascade takes --depth', ['cascade', 5, undefined], 5],
      ['empty env counts as top level', ['cascade', 2, ''], 2],
      ['nested cascade gets inherited - 1', ['cascade', undefined, '3'], 2],
      ['nested cascade cannot raise its budget', ['cascade', 5, '3'], 2],
      ['nested cascade may lower it', ['cascade', 1, '3'], 1],
      ['nested cascade at depth 1 is refused', ['cascade', undefined, '1'], PolicyError],
      ['headless from a cascade worker runs with 0', ['headless', undefined, '1'], 0],
      ['top-level headless runs with 0', ['headless', undefined, undefined], 0],
      ['a headless worker may not dispatch headless', ['headless', undefined, '0'], PolicyError],
      ['a headless worker may not dispatch cascade', ['cascade', undefined, '0'], PolicyError],
      ['a headless worker may not dispatch interactive', ['interactive', undefined, '0'], PolicyError],
      ['garbage in the env is refused', ['headless', undefined, 'lots'], PolicyError],
      ['--depth 0 is a usage error', ['cascade', 0, undefined], UsageError],
      ['--depth 6 is a usage error', ['cascade', 6, undefined], UsageError],
    ]
    for (const [what, args, expected] of table) {
      it(what, () => {
        if (typeof expected === 'number') expect(cascadeBudget(...args)).to.equal(expected)
        else expect(() => cascadeBudget(...args)).to.throw(expected)
      })
    }

    it('tells an exhausted cascade what to do instead', () => {
      expect(() => cascadeBudget('cascade', undefined, '1')).to.throw(PolicyError).with.property('suggestion').that.match(/headless leaves/)
    })
  })
})

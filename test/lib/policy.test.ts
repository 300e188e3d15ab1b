import {expect} from 'chai'

import {PolicyError, UsageError} from '../../src/lib/errors.js'
import {cascadeBudget, isOwnerAllowed} from '../../src/lib/policy.js'

describe('policy', () => {
  it('matches owners case-insensitively and exactly', () => {
    expect(isOwnerAllowed('ACME', ['acme'])).to.equal(true)
    expect(isOwnerAllowed('acme-evil', ['acme'])).to.equal(false)
    expect(isOwnerAllowed('acm', ['acme'])).to.equal(false)
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

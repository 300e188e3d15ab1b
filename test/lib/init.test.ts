import {expect} from 'chai'

import {guessWorkspace, splitOwners, tildePath} from '../../src/lib/init.js'
import {parseDuration} from '../../src/lib/format.js'

describe('init decisions', () => {
  const home = '/home/op'
  const table: Array<[string, string | undefined, string | undefined, {root: string; layout: string; from: string}]> = [
    ['owner/repo folders', '/home/op/src/acme/api', 'git@github.com:acme/api.git', {root: '/home/op/src', layout: '{owner}/{repo}', from: 'checkout'}],
    ['owner folder in other case', '/home/op/src/Acme/API', 'https://github.com/acme/api', {root: '/home/op/src', layout: '{owner}/{repo}', from: 'checkout'}],
    ['repo folder only', '/home/op/code/api', 'https://github.com/acme/api.git', {root: '/home/op/code', layout: '{repo}', from: 'checkout'}],
    ['folder named otherwise', '/home/op/code/work', 'https://github.com/acme/api.git', {root: '/home/op/src', layout: '{owner}/{repo}', from: 'default'}],
    ['no origin', '/home/op/src/acme/api', undefined, {root: '/home/op/src', layout: '{owner}/{repo}', from: 'default'}],
    ['no checkout', undefined, undefined, {root: '/home/op/src', layout: '{owner}/{repo}', from: 'default'}],
  ]
  for (const [name, checkout, origin, want] of table) {
    it(`guesses the workspace: ${name}`, () => expect(guessWorkspace(checkout, origin, home)).to.deep.equal(want))
  }

  it('splits owners given as repeats and commas, dropping blanks and repeats', () => {
    expect(splitOwners(['acme, bob', 'acme', ' ', 'carol,'])).to.deep.equal(['acme', 'bob', 'carol'])
  })

  it('writes paths under home with ~', () => {
    expect(tildePath('/home/op/src', home)).to.equal('~/src')
    expect(tildePath('/home/op', home)).to.equal('~')
    expect(tildePath('/home/operator/src', home)).to.equal('/home/operator/src')
  })

  it('parses durations, 0 included', () => {
    expect(parseDuration('0')).to.equal(0)
    expect(parseDuration('00')).to.equal(0)
    expect(parseDuration('2h')).to.equal(7_200_000)
    expect(parseDuration('5')).to.equal(undefined)
    expect(parseDuration('-1d')).to.equal(undefined)
  })
})

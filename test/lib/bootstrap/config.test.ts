import {expect} from 'chai'
import path from 'node:path'

import {validateConfig} from '../../../src/lib/config/index.js'
import {checkoutPath} from '../../../src/lib/workspace.js'

/** The config keys of the worktree bootstrap: worktree.* and repos entries that carry settings. */
describe('bootstrap: configuration', () => {
  const env = {HOME: '/home/u'}
  const load = (raw: Record<string, unknown>) => validateConfig({allowedOwners: ['acme'], workspace: {root: '/src'}, ...raw}, '/etc/dispatch.yaml', env)

  it('has defaults: no setup, ten minutes, ports from 3100 in steps of 10', () => {
    const c = load({})
    expect(c.worktree).to.deep.equal({setupTimeoutMs: 600_000, portBase: 3100, portStride: 10})
    expect(c.repoSetup).to.deep.equal({})
  })

  const table: Array<[string, unknown, {dir: string; setup?: string}]> = [
    ['the old string form is a path', '~/work/api', {dir: '/home/u/work/api'}],
    ['an entry with a path and a setup', {path: './api', setup: 'npm ci'}, {dir: '/etc/api', setup: 'npm ci'}],
    ['an entry with only a setup keeps the layout path', {setup: 'make deps'}, {dir: path.join('/src', 'acme', 'api'), setup: 'make deps'}],
  ]
  for (const [title, entry, want] of table) {
    it(title, () => {
      const c = load({repos: {'Acme/API': entry}})
      expect(checkoutPath(c, 'acme', 'api').dir).to.equal(want.dir)
      expect(c.repoSetup['acme/api']).to.equal(want.setup)
    })
  }

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown key in a repos entry', {repos: {'acme/api': {pth: '/x'}}}, /repos\.acme\/api: Unrecognized key\(s\) in object: 'pth'/],
    ['a port that is not one', {worktree: {portBase: 70_000}}, /worktree\.portBase/],
    ['a zero stride', {worktree: {portStride: 0}}, /worktree\.portStride/],
    ['a misspelt worktree.setup, which would silently skip the setup', {worktree: {setUp: 'npm ci'}}, /unknown key "worktree\.setUp" \(did you mean "worktree\.setup"\?\)/],
  ]
  for (const [title, raw, want] of bad) {
    it(`refuses ${title}`, () => expect(() => load(raw)).to.throw(want))
  }
})

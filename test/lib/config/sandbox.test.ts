import {expect} from 'chai'

import {sandboxFor, validateConfig} from '../../../src/lib/config/index.js'

const env = {HOME: '/home/op'}
const load = (raw: Record<string, unknown>) => validateConfig({allowedOwners: ['acme'], ...raw}, '/etc/dispatch.yaml', env)

describe('config: sandbox (top level and per repository)', () => {
  const table: Array<[string, Record<string, unknown>, string | undefined, {kind: string; source: string; allowNetwork: string[]}]> = [
    ['no key: none, nobody chose (the daily reminder)', {}, undefined, {kind: 'none', source: 'default', allowNetwork: []}],
    ['kind none is a choice', {sandbox: {kind: 'none'}}, undefined, {kind: 'none', source: 'config', allowNetwork: []}],
    ['a sandbox key without a kind means bubblewrap', {sandbox: {allowNetwork: ['registry.npmjs.org']}}, undefined, {kind: 'bubblewrap', source: 'config', allowNetwork: ['registry.npmjs.org']}],
    ['the repository kind over the top level', {sandbox: {kind: 'bubblewrap'}, repos: {'Acme/API': {sandbox: {kind: 'none'}}}}, undefined, {kind: 'none', source: 'repo', allowNetwork: []}],
    ['the repository lists add to the top level ones', {sandbox: {kind: 'bubblewrap', allowNetwork: ['a.org']}, repos: {'acme/api': {path: '~/api', sandbox: {allowNetwork: ['b.org:8443']}}}}, undefined, {kind: 'bubblewrap', source: 'config', allowNetwork: ['a.org', 'b.org:8443']}],
    ['the flag over everything', {sandbox: {kind: 'bubblewrap'}, repos: {'acme/api': {sandbox: {kind: 'bubblewrap'}}}}, 'none', {kind: 'none', source: 'flag', allowNetwork: []}],
    ['the flag turns it on for a config without the key', {}, 'bubblewrap', {kind: 'bubblewrap', source: 'flag', allowNetwork: []}],
  ]
  for (const [what, raw, flag, want] of table) {
    it(what, () => expect(sandboxFor(load(raw), 'acme/api', flag as 'none' | undefined)).to.deep.include(want))
  }

  it('paths resolve (~ expands); old repos forms still load', () => {
    const c = load({sandbox: {kind: 'bubblewrap', allowRead: ['~/.cargo'], allowWrite: ['/var/cache/x']}, repos: {'acme/web': '~/web', 'acme/api': {setup: 'npm ci'}}})
    expect(c.sandbox).to.deep.equal({kind: 'bubblewrap', allowNetwork: [], allowRead: ['/home/op/.cargo'], allowWrite: ['/var/cache/x']})
    expect(c.repos).to.deep.equal({'acme/web': '/home/op/web'})
    expect(c.repoSandbox).to.deep.equal({})
  })

  const invalid: Array<[Record<string, unknown>, RegExp]> = [
    [{sandbox: {kind: 'docker'}}, /sandbox\.kind: expected one of none, bubblewrap, got "docker"/],
    [{sandbox: {allowNetwork: ['*']}}, /sandbox\.allowNetwork\.0/],
    [{sandbox: {allowNetwork: ['http://x.org']}}, /sandbox\.allowNetwork\.0/],
    [{sandbox: {kind: 'bubblewrap', allowNetwrk: []}}, /allowNetwrk/],
    [{repos: {'acme/api': {sandbox: {kind: 'chroot'}}}}, /repos\.acme\/api\.sandbox\.kind: expected one of none, bubblewrap, got "chroot"/],
    [{sandbx: {kind: 'bubblewrap'}}, /did you mean "sandbox"/],
  ]
  for (const [raw, message] of invalid) {
    it(`refuses ${JSON.stringify(raw)}`, () => expect(() => load(raw)).to.throw(message))
  }
})

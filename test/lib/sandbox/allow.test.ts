import {expect} from 'chai'

import {addressRefusal, allowListFor, matchAllow, parseAllowEntry, specialAddress, type AllowEntry} from '../../../src/lib/sandbox/allow.js'

describe('sandbox network allow list (pure)', () => {
  describe('parseAllowEntry', () => {
    const table: Array<[string, AllowEntry | undefined]> = [
      ['registry.npmjs.org', {host: 'registry.npmjs.org', port: 443, wildcard: false}],
      ['Registry.NPMJS.org.:8443', {host: 'registry.npmjs.org', port: 8443, wildcard: false}],
      ['*.npmjs.org', {host: 'npmjs.org', port: 443, wildcard: true}],
      ['*.npmjs.org:80', {host: 'npmjs.org', port: 80, wildcard: true}],
      ['127.0.0.1:8080', {host: '127.0.0.1', port: 8080, wildcard: false}],
      ['[::1]:8080', {host: '::1', port: 8080, wildcard: false}],
      ['[2001:db8::1]', {host: '2001:db8::1', port: 443, wildcard: false}],
      ['localhost:3000', {host: 'localhost', port: 3000, wildcard: false}],
      // Everything, a wildcard over a top-level domain, inside a name or over an address: refused.
      ['*', undefined],
      ['*:443', undefined],
      ['*.com', undefined],
      ['api.*.example.org', undefined],
      ['*.10.0.0.1', undefined],
      ['::1', undefined],
      ['host:0', undefined],
      ['host:65536', undefined],
      ['host:https', undefined],
      ['host:', undefined],
      ['', undefined],
      ['a b.example.org', undefined],
      ['http://example.org', undefined],
    ]
    for (const [entry, want] of table) {
      it(`${JSON.stringify(entry)} → ${want ? `${want.wildcard ? '*.' : ''}${want.host}:${want.port}` : 'invalid'}`, () => {
        expect(parseAllowEntry(entry)).to.deep.equal(want)
      })
    }
  })

  describe('matchAllow', () => {
    const list = ['api.github.com', 'example.org:80', '*.npmjs.org', '127.0.0.1:4000', '[::1]:4001', 'localhost:4002'].map((e) => parseAllowEntry(e)!)
    const table: Array<[string, number, boolean]> = [
      ['api.github.com', 443, true],
      ['API.GitHub.com.', 443, true],
      ['api.github.com', 80, false],
      ['github.com', 443, false],
      ['evil-api.github.com', 443, false],
      ['api.github.com.evil.org', 443, false],
      ['example.org', 80, true],
      ['example.org', 443, false],
      ['registry.npmjs.org', 443, true],
      ['a.b.npmjs.org', 443, true],
      ['npmjs.org', 443, false],
      ['evilnpmjs.org', 443, false],
      ['registry.npmjs.org', 80, false],
      ['127.0.0.1', 4000, true],
      ['127.0.0.1', 4001, false],
      ['127.0.0.2', 4000, false],
      ['::1', 4001, true],
      ['[::1]', 4001, true],
      ['localhost', 4002, true],
      ['localhost', 4000, false],
      // Other spellings of a listed address are other targets.
      ['2130706433', 4000, false],
      ['127.1', 4000, false],
      ['::ffff:127.0.0.1', 4000, false],
    ]
    for (const [host, port, want] of table) {
      it(`${host}:${port} ${want ? 'allowed' : 'refused'}`, () => {
        expect(Boolean(matchAllow(list, host, port))).to.equal(want)
      })
    }
  })

  describe('where a listed name may lead', () => {
    const table: Array<[string, string | undefined]> = [
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['0.0.0.0', 'unspecified'],
      ['169.254.169.254', 'link-local'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['10.1.2.3', undefined],
      ['192.168.1.1', undefined],
      ['140.82.112.6', undefined],
      ['::1', 'loopback'],
      ['0:0:0:0:0:0:0:1', 'loopback'],
      ['::', 'unspecified'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'link-local'],
      ['::ffff:140.82.112.6', undefined],
      ['fe80::1', 'link-local'],
      ['ff02::1', 'multicast'],
      ['fd00::1', undefined],
      ['2606:4700::1', undefined],
    ]
    for (const [address, want] of table) {
      it(`${address}: ${want ?? 'ordinary'}`, () => expect(specialAddress(address)).to.equal(want))
    }

    it('a name never leads to loopback, except an exact localhost entry; a listed address goes where it says', () => {
      const exact = parseAllowEntry('forge.example:443')!
      expect(addressRefusal('forge.example', exact, '127.0.0.1')).to.equal('forge.example resolves to 127.0.0.1, a loopback address')
      expect(addressRefusal('forge.example', exact, '10.0.0.7')).to.equal(undefined)
      expect(addressRefusal('x.npmjs.org', parseAllowEntry('*.npmjs.org')!, '169.254.169.254')).to.match(/link-local/)
      expect(addressRefusal('localhost', parseAllowEntry('localhost:3000')!, '127.0.0.1')).to.equal(undefined)
      expect(addressRefusal('localhost', parseAllowEntry('localhost:3000')!, '::1')).to.equal(undefined)
      expect(addressRefusal('127.0.0.1', parseAllowEntry('127.0.0.1:3000')!, '127.0.0.1')).to.equal(undefined)
    })
  })

  describe('allowListFor', () => {
    it('the model API, both forges and sandbox.allowNetwork, each once, as host:port', () => {
      const list = allowListFor(
        {
          github: {webUrl: 'https://github.com', apiUrl: 'https://api.github.com'},
          forgejo: {baseUrl: 'http://forge.lan:3000', apiUrl: 'http://forge.lan:3000/api/v1'},
          sandbox: {allowNetwork: ['registry.npmjs.org', '*.pypi.org:443', 'github.com:443', 'not valid']},
        },
        {},
      )
      expect(list).to.deep.equal(['api.anthropic.com:443', 'github.com:443', 'api.github.com:443', 'forge.lan:3000', 'registry.npmjs.org:443', '*.pypi.org:443'])
    })

    it('ANTHROPIC_BASE_URL replaces api.anthropic.com; default ports by scheme; IPv6 kept in brackets', () => {
      expect(allowListFor({}, {ANTHROPIC_BASE_URL: 'http://127.0.0.1:8123/v1'})).to.deep.equal(['127.0.0.1:8123'])
      expect(allowListFor({}, {ANTHROPIC_BASE_URL: 'http://llm.lan'})).to.deep.equal(['llm.lan:80'])
      expect(allowListFor({github: {webUrl: 'https://[::1]:8443', apiUrl: 'https://ghe.corp/api/v3'}}, {})).to.deep.equal(['api.anthropic.com:443', '[::1]:8443', 'ghe.corp:443'])
    })
  })
})

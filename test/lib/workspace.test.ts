import {expect} from 'chai'

import type {Config} from '../../src/lib/config/index.js'
import {NotFoundError} from '../../src/lib/errors.js'
import {checkoutPath, cloneCommand, isInside, originForge, originRepo} from '../../src/lib/workspace.js'

const config = (layout: string, repos: Record<string, string> = {}) => ({workspace: {root: '/home/op/src', layout}, repos}) as unknown as Config

describe('workspace', () => {
  it('puts checkouts under root with the layout, and lets explicit repos win', () => {
    expect(checkoutPath(config('{owner}/{repo}'), 'acme', 'api')).to.deep.equal({dir: '/home/op/src/acme/api', via: 'layout'})
    expect(checkoutPath(config('{repo}'), 'acme', 'api').dir).to.equal('/home/op/src/api')
    expect(checkoutPath(config('{owner}/{repo}', {'acme/api': '/elsewhere/api'}), 'ACME', 'Api')).to.deep.equal({dir: '/elsewhere/api', via: 'repos'})
  })

  it('never lets a layout path escape the workspace root', () => {
    expect(() => checkoutPath(config('../{repo}'), 'acme', 'api')).to.throw(NotFoundError, /outside workspace\.root/)
    expect(() => checkoutPath(config('/etc/{repo}'), 'acme', 'api')).to.throw(NotFoundError, /outside workspace\.root/)
  })

  it('reads owner/repo from every kind of origin URL', () => {
    for (const url of ['https://github.com/acme/api.git', 'https://github.com/acme/api', 'git@github.com:acme/api.git', 'ssh://git@forgejo.example:2222/acme/api.git', '/srv/git/acme/api.git', 'https://github.com/acme/api/']) {
      expect(originRepo(url), url).to.deep.equal({owner: 'acme', repo: 'api'})
    }
    expect(originRepo('api')).to.equal(undefined)
  })

  it('quotes the clone command it suggests', () => {
    expect(cloneCommand('https://github.com', 'acme', 'api', '/home/op/my src/api')).to.equal("git clone https://github.com/acme/api.git '/home/op/my src/api'")
  })

  it('compares paths by segments', () => {
    expect(isInside('/a/b', '/a/b/c')).to.equal(true)
    expect(isInside('/a/b', '/a/bc')).to.equal(false)
    expect(isInside('/a/b', '/a/b')).to.equal(true)
  })

  describe('which forge an origin is on', () => {
    const both = {github: 'https://github.com', forgejo: 'https://code.example.org'}
    const sameHost = {github: 'http://127.0.0.1:8080/gh', forgejo: 'http://127.0.0.1:8080/fj'}
    const table: Array<[string, {github: string; forgejo?: string}, ReturnType<typeof originForge>]> = [
      ['https://github.com/acme/api.git', both, 'github'],
      ['https://GitHub.com/acme/api', both, 'github'],
      ['git@github.com:acme/api.git', both, 'github'],
      ['ssh://git@github.com/acme/api.git', both, 'github'],
      ['https://code.example.org/acme/api.git', both, 'forgejo'],
      ['ssh://git@code.example.org:2222/acme/api.git', both, 'forgejo'],
      ['forgejo@code.example.org:acme/api.git', both, 'forgejo'],
      ['https://gitlab.com/acme/api.git', both, undefined],
      ['/home/op/remotes/acme/api.git', both, undefined],
      ['file:///home/op/remotes/acme/api.git', both, undefined],
      ['../api.git', both, undefined],
      ['https://code.example.org/acme/api.git', {github: 'https://github.com'}, undefined],
      ['http://127.0.0.1:8080/fj/acme/api.git', sameHost, 'forgejo'],
      ['http://127.0.0.1:8080/gh/acme/api.git', sameHost, 'github'],
      ['ssh://git@127.0.0.1/acme/api.git', sameHost, undefined],
    ]
    for (const [origin, bases, expected] of table) {
      it(`${origin} is on ${expected ?? 'no forge it can tell'}`, () => expect(originForge(origin, bases)).to.equal(expected))
    }
  })
})

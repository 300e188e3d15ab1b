import {expect} from 'chai'

import type {Config} from '../../src/lib/config.js'
import {NotFoundError} from '../../src/lib/errors.js'
import {checkoutPath, cloneCommand, isInside, originRepo} from '../../src/lib/workspace.js'

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
})

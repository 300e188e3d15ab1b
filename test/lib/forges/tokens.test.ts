import {expect} from 'chai'
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {forgejoToken, githubToken} from '../../../src/lib/forges/tokens.js'
import {makeSandbox, type Sandbox} from '../../support/helpers.js'

describe('token chain', () => {
  let sb: Sandbox
  let bin: string
  beforeEach(() => {
    sb = makeSandbox()
    bin = path.join(sb.dir, 'bin')
    mkdirSync(bin)
  })
  afterEach(() => sb.cleanup())

  /** A stand-in gh that records its arguments and prints a token (or fails). */
  function fakeGh(script: string): void {
    writeFileSync(path.join(bin, 'gh'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(path.join(sb.dir, 'gh-args'))}\n${script}\n`)
    chmodSync(path.join(bin, 'gh'), 0o755)
  }

  it('prefers GH_TOKEN, then GITHUB_TOKEN, without asking gh', async () => {
    fakeGh('echo gho_FROM_GH')
    const env = {PATH: bin}
    expect(await githubToken({...env, GH_TOKEN: 'a', GITHUB_TOKEN: 'b'}, 'github.com')).to.deep.equal({token: 'a', source: 'GH_TOKEN'})
    expect(await githubToken({...env, GITHUB_TOKEN: 'b'}, 'github.com')).to.deep.equal({token: 'b', source: 'GITHUB_TOKEN'})
  })

  it('asks gh auth token, naming the host for GitHub Enterprise', async () => {
    fakeGh('echo gho_FROM_GH')
    expect(await githubToken({PATH: bin}, 'github.com')).to.deep.equal({token: 'gho_FROM_GH', source: 'gh auth token'})
    expect(readFileSync(path.join(sb.dir, 'gh-args'), 'utf8').trim().split('\n')).to.deep.equal(['auth', 'token'])
    await githubToken({PATH: bin}, 'git.example.com')
    expect(readFileSync(path.join(sb.dir, 'gh-args'), 'utf8').trim().split('\n')).to.deep.equal(['auth', 'token', '--hostname', 'git.example.com'])
  })

  it('goes without a token when gh is missing or not logged in', async () => {
    expect(await githubToken({PATH: bin}, 'github.com')).to.deep.equal({source: 'none'})
    fakeGh('echo "not logged in" >&2; exit 1')
    expect(await githubToken({PATH: bin}, 'github.com')).to.deep.equal({source: 'none'})
  })

  it('reads the Forgejo token from the configured variable', () => {
    expect(forgejoToken({MY_FJ: 'x'}, 'MY_FJ')).to.deep.equal({token: 'x', source: 'MY_FJ'})
    expect(forgejoToken({}, 'FORGEJO_TOKEN')).to.deep.equal({source: 'none'})
  })
})

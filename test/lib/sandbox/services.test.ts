import {expect} from 'chai'
import {chmodSync, existsSync, mkdirSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {FailureError} from '../../../src/lib/errors.js'
import {startSandboxServices} from '../../../src/lib/sandbox/services.js'
import {useTempDir} from '../../support/forge-sandbox.js'

describe("a sandboxed worker's services (proxy and relay)", () => {
  const tmp = useTempDir('dispatch-services-')

  it('listen on 0600 sockets in a private 0700 directory, replacing sockets left by a killed dispatch, and go away on close()', async () => {
    const dir = path.join(tmp.dir, 'run')
    mkdirSync(dir, {mode: 0o755})
    chmodSync(dir, 0o755)
    // What a dispatch killed with -9 leaves behind.
    writeFileSync(path.join(dir, 'proxy.sock'), '')
    const services = await startSandboxServices({dir, allow: [], relay: {env: {}, cascadeDepth: 1}})
    try {
      expect(statSync(dir).mode & 0o777).to.equal(0o700)
      expect(services.proxySocket).to.equal(path.join(dir, 'proxy.sock'))
      expect(services.relaySocket).to.equal(path.join(dir, 'relay.sock'))
      for (const s of [services.proxySocket, services.relaySocket!]) {
        expect(statSync(s).isSocket(), s).to.equal(true)
        expect(statSync(s).mode & 0o777).to.equal(0o600)
      }
    } finally {
      await services.close()
    }
    expect(existsSync(services.proxySocket) || existsSync(services.relaySocket!)).to.equal(false)
    const noRelay = await startSandboxServices({dir, allow: []})
    expect(noRelay.relaySocket).to.equal(undefined)
    await noRelay.close()
  })

  it('refuses a directory that is a symlink, and a socket path longer than unix sockets allow, saying what to do', async () => {
    const real = path.join(tmp.dir, 'real')
    mkdirSync(real)
    symlinkSync(real, path.join(tmp.dir, 'link'))
    const link = await startSandboxServices({dir: path.join(tmp.dir, 'link'), allow: []}).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(link).to.be.instanceOf(FailureError)
    expect((link as FailureError).message).to.match(/is not a directory of yours/)

    const long = path.join(tmp.dir, 'x'.repeat(100))
    const error = await startSandboxServices({dir: long, allow: []}).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(FailureError)
    expect((error as FailureError).display).to.match(/longer than a unix socket allows[\s\S]*shorter stateDir/)
    expect(existsSync(long), 'nothing made').to.equal(false)
  })
})

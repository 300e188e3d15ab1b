import {expect} from 'chai'
import {chmodSync, chownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {PolicyError} from '../../src/lib/errors.js'
import {ensurePrivateDirs, ensureStateDir} from '../../src/lib/state.js'

const isRoot = process.getuid?.() === 0

describe('state directory safety', () => {
  let dir: string
  let stateDir: string
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-state-')))
    stateDir = path.join(dir, 'state')
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const refusal = async (what: string, setup: () => void, message: RegExp) => {
    mkdirSync(stateDir, {mode: 0o700})
    setup()
    const error = await ensureStateDir(stateDir).catch((e) => e)
    expect(error, what).to.be.instanceOf(PolicyError)
    expect(error.message).to.match(message)
  }

  it('refuses sidequests/ that is a symlink, even to a directory of ours', async () => {
    const elsewhere = path.join(dir, 'open')
    mkdirSync(elsewhere, {mode: 0o777})
    chmodSync(elsewhere, 0o777)
    await refusal('symlink', () => symlinkSync(elsewhere, path.join(stateDir, 'sidequests')), /sidequests is a symbolic link/)
  })

  it('refuses logs/ writable by others, naming the chmod', async () => {
    await refusal('mode', () => {
      mkdirSync(path.join(stateDir, 'logs'))
      chmodSync(path.join(stateDir, 'logs'), 0o777)
    }, /logs is writable by other users \(mode 777\)/)
  })

  it('refuses logs/ owned by another user', async function () {
    if (!isRoot) this.skip()
    await refusal('owner', () => {
      mkdirSync(path.join(stateDir, 'logs'), {mode: 0o700})
      chownSync(path.join(stateDir, 'logs'), 65534, 65534)
    }, /logs belongs to uid 65534/)
  })

  it('checks every level it creates below the state dir (logs/<owner>/<repo>)', async () => {
    await ensureStateDir(stateDir)
    symlinkSync(dir, path.join(stateDir, 'logs', 'acme'))
    const error = await ensurePrivateDirs(stateDir, path.join('logs', 'acme', 'api')).catch((e) => e)
    expect(error).to.be.instanceOf(PolicyError)
    expect(error.message).to.match(/logs\/acme is a symbolic link/)
    expect(await ensurePrivateDirs(stateDir, path.join('logs', 'other', 'api'))).to.equal(path.join(stateDir, 'logs', 'other', 'api'))
  })
})

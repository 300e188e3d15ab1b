import {expect} from 'chai'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {Registry, SCHEMA_VERSION} from '../../../src/lib/registry/index.js'
import {launchWorker, WorkerStartError} from '../../../src/lib/worker/spawn.js'
import {STAND_IN} from '../../support/helpers.js'

describe('launchWorker', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-spawn-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('fails cleanly, not with an uncaught exception, when the supervisor cannot be spawned (missing cwd)', async () => {
    const gone = path.join(dir, 'removed-worktree')
    const record = {schema_version: SCHEMA_VERSION, mode: 'headless' as const, ref: 'acme/api#1', forge: 'github' as const, url: 'https://x/1', title: 't', started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], cwd: gone, branch: 'b', log_path: path.join(dir, 'log'), cascade_depth: 0, claude_session_id: null}
    const error = await launchWorker({claudeBin: STAND_IN, args: [], prompt: 'p', cwd: gone, env: {}, logPath: path.join(dir, 'log'), stateDir: dir, record}, new Registry({stateDir: dir})).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(WorkerStartError)
    expect((error as Error).message).to.include(gone)
  })
})

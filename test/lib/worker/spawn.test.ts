import {expect} from 'chai'
import path from 'node:path'

import {Registry, SCHEMA_VERSION} from '../../../src/lib/registry/index.js'
import {launchWorker, WorkerStartError} from '../../../src/lib/worker/spawn.js'
import {useTempDir} from '../../support/forge-sandbox.js'
import {STAND_IN} from '../../support/helpers.js'

describe('launchWorker', () => {
  const tmp = useTempDir('dispatch-spawn-')

  it('fails cleanly, not with an uncaught exception, when the supervisor cannot be spawned (missing cwd)', async () => {
    const gone = path.join(tmp.dir, 'removed-worktree')
    const record = {schema_version: SCHEMA_VERSION, mode: 'headless' as const, ref: 'acme/api#1', forge: 'github' as const, url: 'https://x/1', title: 't', started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], cwd: gone, branch: 'b', log_path: path.join(tmp.dir, 'log'), cascade_depth: 0, claude_session_id: null}
    const error = await launchWorker({claudeBin: STAND_IN, args: [], prompt: 'p', cwd: gone, env: {}, logPath: path.join(tmp.dir, 'log'), stateDir: tmp.dir, record}, new Registry({stateDir: tmp.dir})).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(WorkerStartError)
    expect((error as Error).message).to.include(gone)
  })
})

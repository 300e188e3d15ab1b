import {expect} from 'chai'
import path from 'node:path'

import {startSession} from '../../../src/lib/interactive/session.js'
import {Registry} from '../../../src/lib/registry/index.js'
import {exitCodeOf} from '../../../src/lib/worker/exit.js'
import {useTempDir} from '../../support/forge-sandbox.js'

// exitCodeOf is the one mapping from how a process ended to an exit code: the interactive session (which attach runs through) agrees with it.
describe('one reading of how a process ended (interactive session and attach, supervisor)', function () {
  this.timeout(20_000)
  const tmp = useTempDir('dispatch-exit-')

  // A real process that ends the way the row says: by its own code, or killed by a signal.
  const ends: Array<[string, string, number]> = [
    ['exit 3', 'exit 3', 3],
    ['Ctrl-C (SIGINT)', 'kill -INT $$', 130],
    ['SIGTERM', 'kill -TERM $$', 143],
    ['SIGKILL', 'kill -KILL $$', 137],
  ]
  for (const [what, script, want] of ends) {
    it(`${what}: ${want} from the interactive session (attach's too) and from exitCodeOf`, async () => {
      const spec = {
        claudeBin: 'sh',
        args: ['-c', script],
        prompt: '',
        cwd: tmp.dir,
        env: {PATH: process.env.PATH},
        stateDir: path.join(tmp.dir, 'state'),
        record: {schema_version: 2, mode: 'interactive', ref: 'acme/api#2', forge: 'github', url: '', title: 't', started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], cwd: tmp.dir, branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null},
      } as Parameters<typeof startSession>[0]
      const session = startSession(spec, new Registry({stateDir: spec.stateDir}))
      const {pid} = await session.started
      expect(await session.exited).to.equal(want)
      expect((await new Registry({stateDir: spec.stateDir}).get(pid))?.exit_code).to.equal(want)
      const signal = script.startsWith('kill') ? (`SIG${script.split(' ')[1].slice(1)}` as NodeJS.Signals) : null
      expect(exitCodeOf(signal ? null : 3, signal)).to.equal(want)
    })
  }
})

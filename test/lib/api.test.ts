// The library API, used the way another program would: through the package's own entry point.
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {Registry, isActive, type Conflict, type SidequestRecord} from 'issue-dispatch'

import {processStartTime} from '../../src/lib/proc.js'
import {makeSandbox, waitFor, type Sandbox} from '../support/helpers.js'

describe("library API (import {Registry} from 'issue-dispatch')", () => {
  let sb: Sandbox
  beforeEach(() => {
    sb = makeSandbox()
  })
  afterEach(() => sb.cleanup())

  it('reads active workers and their conflicts without the CLI', async () => {
    const worker = spawn('sleep', ['30'], {stdio: 'ignore'})
    try {
      await waitFor('sleeper', () => processStartTime(worker.pid!))
      const dir = path.join(sb.stateDir, 'sidequests')
      mkdirSync(dir, {recursive: true})
      const record: SidequestRecord = {
        schema_version: 1,
        pid: worker.pid!,
        pid_start_time: processStartTime(worker.pid!) ?? null,
        mode: 'headless',
        ref: 'acme/api#1',
        forge: 'github',
        url: 'https://github.com/acme/api/issues/1',
        title: 'x',
        started_at: new Date().toISOString(),
        parent_session: null,
        paths_claimed: [path.join(sb.dir, 'src')],
        cwd: sb.dir,
        branch: 'dispatch/issue-1-x',
        log_path: null,
        cascade_depth: 0,
        claude_session_id: null,
      }
      writeFileSync(path.join(dir, `${worker.pid}.json`), JSON.stringify(record))
      const registry = new Registry({stateDir: sb.stateDir})
      const active = await registry.active()
      expect(active.map((r) => r.pid)).to.deep.equal([worker.pid])
      expect(isActive(active[0])).to.equal(true)
      const conflicts: Conflict[] = await registry.conflicts('src/app.ts', sb.dir)
      // An old absolute claim inside the worker's own directory is a claim on its repository.
      expect(conflicts).to.deep.equal([{pid: worker.pid, ref: 'acme/api#1', repo: 'acme/api', claim: 'src', path: 'src/app.ts', reason: 'ancestor'}])
      // A new-style record: repository-relative claims.
      writeFileSync(path.join(dir, `${worker.pid}.json`), JSON.stringify({...record, schema_version: 2, repo: 'acme/api', paths_claimed: ['docs']}))
      expect(await registry.conflicts(path.join(sb.dir, 'docs', 'a.md'))).to.deep.equal([{pid: worker.pid, ref: 'acme/api#1', repo: 'acme/api', claim: 'docs', path: 'docs/a.md', reason: 'ancestor'}])
      expect(await registry.conflicts('/elsewhere')).to.deep.equal([])
    } finally {
      worker.kill('SIGKILL')
    }
  })

  it('returns nothing for a state dir that does not exist yet', async () => {
    expect(await new Registry({stateDir: path.join(sb.dir, 'nope')}).all()).to.deep.equal([])
  })
})

import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {Registry, SCHEMA_VERSION, type SidequestRecord} from '../../src/lib/registry/index.js'
import {ROOT} from '../support/helpers.js'

/** Run `registry.update(pid, {[key]: true})` in a process of its own, as the supervisor and `dispatch stop` do. */
function updateFromAnotherProcess(stateDir: string, pid: number, key: string): Promise<void> {
  const script = `import {Registry} from ${JSON.stringify(path.join(ROOT, 'src', 'lib', 'registry', 'index.ts'))}; await new Registry({stateDir: process.argv[1]}).update(${pid}, {[${JSON.stringify(key)}]: true})`
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, stateDir], {cwd: ROOT}, (error, _out, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve()))
  })
}

describe('Registry.update across processes', function () {
  this.timeout(60_000)
  let stateDir: string
  beforeEach(() => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-registry-'))
  })
  afterEach(() => rmSync(stateDir, {recursive: true, force: true}))

  it('loses no field when several processes update one record at the same moment', async () => {
    const registry = new Registry({stateDir})
    const record: SidequestRecord = {schema_version: SCHEMA_VERSION, pid: 999_999, pid_start_time: null, mode: 'headless', ref: 'acme/api#1', forge: 'github', url: 'u', title: 't', started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], cwd: '/x', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null}
    await registry.write(record)
    const keys = Array.from({length: 6}, (_, i) => `field_${i}`)
    await Promise.all(keys.map((k) => updateFromAnotherProcess(stateDir, record.pid, k)))
    const final = JSON.parse(readFileSync(registry.fileFor(record.pid), 'utf8'))
    for (const k of keys) expect(final, k).to.have.property(k, true)
  })
})

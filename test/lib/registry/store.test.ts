import {expect} from 'chai'
import {execFile, execFileSync, spawn} from 'node:child_process'
import {readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {processStartTime} from '../../../src/lib/proc.js'
import {Registry, SCHEMA_VERSION, type SidequestRecord} from '../../../src/lib/registry/index.js'
import {ensureStateDir} from '../../../src/lib/state.js'
import {useTempDir} from '../../support/forge-sandbox.js'
import {ROOT, waitFor} from '../../support/helpers.js'

/** Run `registry.update(pid, {[key]: true})` in a process of its own, as the supervisor and `dispatch stop` do. */
function updateFromAnotherProcess(stateDir: string, pid: number, key: string): Promise<void> {
  const script = `import {Registry} from ${JSON.stringify(path.join(ROOT, 'src', 'lib', 'registry', 'index.ts'))}; await new Registry({stateDir: process.argv[1]}).update(${pid}, {[${JSON.stringify(key)}]: true})`
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, stateDir], {cwd: ROOT}, (error, _out, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve()))
  })
}

describe('Registry.update across processes', function () {
  this.timeout(60_000)
  const tmp = useTempDir('dispatch-registry-')

  it('loses no field when several processes update one record at the same moment', async () => {
    const registry = new Registry({stateDir: tmp.dir})
    const record: SidequestRecord = {schema_version: SCHEMA_VERSION, pid: 999_999, pid_start_time: null, mode: 'headless', ref: 'acme/api#1', forge: 'github', url: 'u', title: 't', started_at: new Date().toISOString(), parent_session: null, paths_claimed: [], cwd: '/x', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null}
    await registry.write(record)
    const keys = Array.from({length: 6}, (_, i) => `field_${i}`)
    await Promise.all(keys.map((k) => updateFromAnotherProcess(tmp.dir, record.pid, k)))
    const final = JSON.parse(readFileSync(registry.fileFor(record.pid), 'utf8'))
    for (const k of keys) expect(final, k).to.have.property(k, true)
  })
})

describe('Registry reads', () => {
  const tmp = useTempDir('dispatch-registry-')
  let stateDir: string
  beforeEach(() => (stateDir = path.join(tmp.dir, 'state')))
  let sleeper: ReturnType<typeof spawn> | undefined
  afterEach(() => sleeper?.kill('SIGKILL'))

  const record = (pid: number, start: string | null): SidequestRecord => ({
    schema_version: 1, pid, pid_start_time: start, mode: 'headless', ref: `acme/api#${pid}`, forge: 'github', url: '', title: 't',
    started_at: new Date().toISOString(), parent_session: null, paths_claimed: ['/r'], cwd: '/r', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null,
  })

  it('skips FIFOs, symlinks (to /dev/zero) and oversized files with a warning, without hanging', async () => {
    await ensureStateDir(stateDir)
    const sq = path.join(stateDir, 'sidequests')
    execFileSync('mkfifo', [path.join(sq, '11.json')])
    symlinkSync('/dev/zero', path.join(sq, '12.json'))
    writeFileSync(path.join(sq, '13.json'), Buffer.alloc(2 * 1024 * 1024, 0x20))
    sleeper = spawn('sleep', ['30'], {stdio: 'ignore'})
    const pid = sleeper.pid!
    const start = await waitFor('sleeper start time', () => processStartTime(pid))
    writeFileSync(path.join(sq, `${pid}.json`), JSON.stringify(record(pid, start)), {mode: 0o600})
    const warnings: string[] = []
    const registry = new Registry({stateDir, warn: (m) => warnings.push(m)})
    expect((await registry.all()).map((r) => r.pid)).to.deep.equal([pid])
    expect(warnings.join('\n')).to.match(/11\.json: not a regular file/).and.match(/12\.json: a symbolic link/).and.match(/13\.json: 2097152 bytes/)
    expect(await registry.get(12)).to.equal(undefined)
    expect((await registry.active()).map((r) => r.pid)).to.deep.equal([pid])
  })
})

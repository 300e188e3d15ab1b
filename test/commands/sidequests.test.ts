import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {processStartTime} from '../../src/lib/proc.js'
import {ROOT, runCli, waitFor, writeConfig} from '../support/helpers.js'
import {sampleRecord as record, writeRecord} from '../support/state.js'
import {useSandbox} from '../support/forge-sandbox.js'

const FORGE = {github: {apiUrl: 'http://127.0.0.1:9/unused', webUrl: 'https://github.com'}}

/** A real, sleeping process to stand for a live worker. */
function sleeper(): ChildProcess {
  return spawn('sleep', ['60'], {stdio: 'ignore'})
}

describe('sidequests list / conflicts / prune (through the binary)', function () {
  this.timeout(30_000)
  const t = useSandbox((sb) => writeConfig(sb, FORGE))
  let {sb, procs} = t
  beforeEach(() => ({sb, procs} = t))

  it('says "no active sidequests" and exits 0 when there are none', async () => {
    const res = await runCli(['sidequests', 'list'], {env: sb.env})
    expect(res.code).to.equal(0)
    expect(res.stderr).to.include('no active sidequests')
    expect(JSON.parse((await runCli(['sidequests', 'list', '--json'], {env: sb.env})).stdout)).to.deep.equal([])
  })

  it('lists active workers oldest first; --all adds ended, crashed and reused-pid ones', async () => {
    const a = sleeper()
    const b = sleeper()
    procs.push(a, b)
    await waitFor('sleepers', () => processStartTime(a.pid!) && processStartTime(b.pid!))
    writeRecord(sb, record(b.pid!, {started_at: '2026-01-02T00:00:00.000Z', paths_claimed: ['/r/src']}))
    writeRecord(sb, record(a.pid!, {started_at: '2026-01-01T00:00:00.000Z'}))
    writeRecord(sb, record(999_001, {started_at: '2026-01-03T00:00:00.000Z', ended_at: '2026-01-03T01:00:00.000Z', exit_code: 2}))
    // The test runner's own pid is alive, but its start time does not match: a reused pid.
    writeRecord(sb, record(process.pid, {pid_start_time: '1', started_at: '2026-01-04T00:00:00.000Z'}))

    const list = JSON.parse((await runCli(['sidequests', 'list', '--json'], {env: sb.env})).stdout)
    expect(list.map((r: {pid: number}) => r.pid)).to.deep.equal([a.pid, b.pid])
    for (const key of ['pid', 'ref', 'url', 'started_at', 'parent_session', 'paths_claimed', 'log_path']) expect(list[0]).to.have.property(key)

    const human = await runCli(['sidequests', 'list'], {env: sb.env})
    const lines = human.stdout.trim().split('\n')
    expect(lines).to.have.length(2)
    expect(lines[1].split('\t')).to.include.members([`acme/api#${b.pid! % 1000}`, 'headless', String(b.pid), '/r/src'])

    const all = await runCli(['sidequests', 'list', '--all'], {env: sb.env})
    // The same state words as status: one renderer for both views.
    expect(all.stdout).to.match(/\tEXITED 2\t/)
    expect(all.stdout.split('\n').find((l) => l.includes(`\t${process.pid}\t`))).to.match(/\tUNKNOWN\t/)
  })

  it('agrees with status on a crashed record whose pid is still alive', async () => {
    const a = sleeper()
    procs.push(a)
    await waitFor('sleeper', () => processStartTime(a.pid!))
    writeRecord(sb, record(a.pid!, {crashed: true, error: 'the worker reported an error'}))
    const all = await runCli(['sidequests', 'list', '--all'], {env: sb.env})
    const status = await runCli(['status', '--all'], {env: sb.env})
    const [entry] = JSON.parse((await runCli(['status', '--all', '--json'], {env: sb.env})).stdout)
    expect(entry).to.include({pid: a.pid, state: 'crashed'})
    expect(all.stdout.split('\t')).to.include('CRASHED')
    expect(status.stdout.split('\t')[0]).to.equal('CRASHED')
    // Still alive, so still active in both: its claims keep counting until the process is gone.
    const active = JSON.parse((await runCli(['sidequests', 'list', '--json'], {env: sb.env})).stdout)
    expect(entry.active).to.equal(true)
    expect(active.map((r: {pid: number}) => r.pid)).to.deep.equal([a.pid])
  })

  it('skips a corrupt record with a warning and reads an old-schema one', async () => {
    const a = sleeper()
    procs.push(a)
    await waitFor('sleeper', () => processStartTime(a.pid!))
    mkdirSync(path.join(sb.stateDir, 'sidequests'), {recursive: true, mode: 0o700})
    writeFileSync(path.join(sb.stateDir, 'sidequests', '4242.json'), '{"pid": 4242, "ref": ')
    // schema 0: no schema_version, no pid_start_time, no mode.
    writeFileSync(path.join(sb.stateDir, 'sidequests', `${a.pid}.json`), JSON.stringify({pid: a.pid, ref: 'acme/old#1', started_at: '2025-01-01T00:00:00Z', cwd: '/x', paths_claimed: ['/x/src']}))
    // --all reads every record; the active view skips files whose pid is dead without reading them.
    const res = await runCli(['sidequests', 'list', '--all', '--json'], {env: sb.env})
    expect(res.code).to.equal(0)
    expect(res.stderr).to.match(/skipping corrupt record .*4242\.json/)
    const [old] = JSON.parse(res.stdout)
    expect(old).to.include({pid: a.pid, ref: 'acme/old#1', schema_version: 0, mode: 'headless', pid_start_time: null})
  })

  describe('conflicts', () => {
    let worker: ChildProcess
    beforeEach(async () => {
      worker = sleeper()
      procs.push(worker)
      await waitFor('sleeper', () => processStartTime(worker.pid!))
      mkdirSync(path.join(sb.dir, 'repo', 'src', 'auth'), {recursive: true})
      symlinkSync(path.join(sb.dir, 'repo'), path.join(sb.dir, 'link'))
      writeRecord(sb, record(worker.pid!, {ref: 'acme/api#7', paths_claimed: [path.join(sb.dir, 'repo', 'src'), path.join(sb.dir, 'repo', 'README.md')]}))
      // An ended worker's claims never conflict.
      writeRecord(sb, record(999_002, {ended_at: new Date().toISOString(), paths_claimed: [path.join(sb.dir, 'repo')]}))
    })

    const cases: Array<[string, string[], number, string[]]> = [
      ['an exact match', ['repo/src'], 1, ['exact']],
      ['a path inside a claim (ancestor)', ['./repo/src/../src/auth/login.ts'], 1, ['ancestor']],
      ['a path containing claims (descendant)', ['repo'], 1, ['descendant', 'descendant']],
      ['a sibling with a common prefix', ['repo/srcx'], 0, []],
      ['a path through a symlink', ['link/src/auth'], 1, ['ancestor']],
      ['several paths at once', ['repo/docs', 'repo/README.md'], 1, ['exact']],
      ['an unrelated path', ['/etc'], 0, []],
    ]
    for (const [what, paths, code, reasons] of cases) {
      it(`${what}: exit ${code}`, async () => {
        const res = await runCli(['sidequests', 'conflicts', ...paths, '--json'], {env: sb.env, cwd: sb.dir})
        expect(res.code, res.stderr).to.equal(code)
        const conflicts = JSON.parse(res.stdout)
        expect(conflicts.map((c: {reason: string}) => c.reason)).to.deep.equal(reasons)
        for (const c of conflicts) expect(c).to.have.all.keys('pid', 'ref', 'repo', 'claim', 'path', 'reason')
        // Old absolute claims in no known checkout or worktree compare as absolute paths, with no repository.
        if (code === 1) expect(conflicts[0]).to.include({pid: worker.pid, ref: 'acme/api#7', repo: null})
      })
    }

    it('answers the same through the start-up fast path and through oclif', async () => {
      const viaOclif = (args: string[]) =>
        new Promise<{code: number; stdout: string; stderr: string}>((resolve) => {
          // bin/dev.js runs the TypeScript commands through oclif, with no fast path.
          const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, path.join(ROOT, 'bin', 'dev.js'), ...args], {cwd: sb.dir, env: sb.env})
          let stdout = ''
          let stderr = ''
          child.stdout.on('data', (d) => (stdout += d))
          child.stderr.on('data', (d) => (stderr += d))
          child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
        })
      for (const args of [['sidequests', 'list', '--json'], ['sidequests', 'list', '--all'], ['sidequests', 'conflicts', 'repo/src', 'repo/x', '--json'], ['sidequests', 'conflicts', 'elsewhere']]) {
        const fast = await runCli(args, {env: sb.env, cwd: sb.dir})
        const slow = await viaOclif(args)
        expect({code: fast.code, stdout: fast.stdout, stderr: fast.stderr}, args.join(' ')).to.deep.equal({code: slow.code, stdout: slow.stdout, stderr: slow.stderr})
      }
    })

    it('prints one human line per conflict', async () => {
      const res = await runCli(['sidequests', 'conflicts', 'repo/src/auth'], {env: sb.env, cwd: sb.dir})
      expect(res.code).to.equal(1)
      expect(res.stdout).to.equal(`acme/api#7 (pid ${worker.pid}) claims a parent of ${path.join(sb.dir, 'repo', 'src', 'auth')}: ${path.join(sb.dir, 'repo', 'src')}\n`)
    })

    it('exits 2 on trouble (invalid config), with a JSON error under --json', async () => {
      writeFileSync(sb.configFile, '{"allowedOwners": []}')
      const res = await runCli(['sidequests', 'conflicts', 'repo', '--json'], {env: sb.env, cwd: sb.dir})
      expect(res.code).to.equal(2)
      expect(JSON.parse(res.stdout).error.message).to.match(/allowedOwners/)
      const noArgs = await runCli(['sidequests', 'conflicts'], {env: sb.env})
      expect(noArgs.code).to.equal(2)
    })
  })

  it('prunes ended records older than --older-than, logs only with --logs', async () => {
    const log = path.join(sb.stateDir, 'logs', 'acme', 'api', 'issue-7-20200101-000000.log')
    mkdirSync(path.dirname(log), {recursive: true})
    writeFileSync(log, 'x')
    const live = sleeper()
    procs.push(live)
    await waitFor('sleeper', () => processStartTime(live.pid!))
    writeRecord(sb, record(999_003, {ended_at: '2020-01-01T00:00:00Z', exit_code: 0, log_path: log}))
    writeRecord(sb, record(999_004, {ended_at: new Date().toISOString(), exit_code: 0}))
    writeRecord(sb, record(live.pid!, {started_at: '2020-01-01T00:00:00Z'}))
    const dry = JSON.parse((await runCli(['sidequests', 'prune', '--dry-run', '--json'], {env: sb.env})).stdout)
    expect(dry.removed.map((r: {pid: number}) => r.pid)).to.deep.equal([999_003])
    const res = await runCli(['sidequests', 'prune', '--logs', '--json'], {env: sb.env})
    expect(JSON.parse(res.stdout)).to.deep.include({kept: 2})
    const left = JSON.parse((await runCli(['sidequests', 'list', '--all', '--json'], {env: sb.env})).stdout).map((r: {pid: number}) => r.pid)
    expect(left).to.have.members([999_004, live.pid])
    expect(() => readFileSync(log)).to.throw()
    expect((await runCli(['sidequests', 'prune', '--older-than', 'soon'], {env: sb.env})).code).to.equal(2)
  })

  it('prune --logs deletes only logs dispatch wrote: never a path outside stateDir/logs/, one of another shape, or a symlink', async () => {
    const key = path.join(sb.home, '.ssh', 'id_ed25519')
    mkdirSync(path.dirname(key), {recursive: true})
    writeFileSync(key, 'secret')
    const logs = path.join(sb.stateDir, 'logs', 'acme', 'api')
    mkdirSync(logs, {recursive: true})
    const odd = path.join(logs, 'notes.txt')
    writeFileSync(odd, 'mine')
    const link = path.join(logs, 'issue-7-20200101-000000.log')
    symlinkSync(key, link)
    const traversal = path.join(sb.stateDir, 'logs', 'acme', 'api', '..', '..', '..', '..', 'home', '.ssh', 'id_ed25519')
    const ended = {ended_at: '2020-01-01T00:00:00Z', exit_code: 0}
    writeRecord(sb, record(999_011, {...ended, log_path: key}))
    writeRecord(sb, record(999_012, {...ended, log_path: odd}))
    writeRecord(sb, record(999_013, {...ended, log_path: link}))
    writeRecord(sb, record(999_014, {...ended, log_path: traversal}))
    const res = await runCli(['sidequests', 'prune', '--logs', '--json'], {env: sb.env})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    expect(out.removed.map((r: {pid: number}) => r.pid)).to.have.members([999_011, 999_012, 999_013, 999_014])
    expect(out.removed.every((r: {log_removed: boolean}) => !r.log_removed)).to.equal(true)
    expect(readFileSync(key, 'utf8')).to.equal('secret')
    expect(readFileSync(odd, 'utf8')).to.equal('mine')
    expect(lstatSync(link).isSymbolicLink()).to.equal(true)
  })
})

import {expect} from 'chai'
import {existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {startFakeForge} from '../support/fake-forge.mjs'
import {ROOT, writeConfig, makeRepo, runCli} from '../support/helpers.js'
import {useSandbox} from '../support/forge-sandbox.js'

describe('first-day details (through the binary)', function () {
  this.timeout(60_000)
  const t = useSandbox()
  let {sb} = t
  beforeEach(() => ({sb} = t))

  it('dispatch --version --json prints version, node and platform, in either order', async () => {
    for (const args of [['--version', '--json'], ['--json', '--version'], ['-v', '--json']]) {
      const res = await runCli(args, {env: sb.env})
      expect(res.code, args.join(' ')).to.equal(0)
      const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
      expect(JSON.parse(res.stdout)).to.deep.equal({version: pkg.version, node: process.version, platform: `${process.platform}-${process.arch}`})
    }
    expect((await runCli(['--version'], {env: sb.env})).stdout).to.match(/^issue-dispatch\/\S+ \S+ node-v\d/)
  })

  it('sidequests prune says what it did in words, and --older-than 0 takes every ended record', async () => {
    const dir = path.join(sb.stateDir, 'sidequests')
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const empty = await runCli(['sidequests', 'prune', '--dry-run'], {env: sb.env})
    expect(empty.code).to.equal(0)
    expect(empty.stderr).to.equal('would remove 0 records, keep 0\n')
    const ended = new Date(Date.now() - 1000).toISOString()
    const rec = {schema_version: 1, pid: 999_123, pid_start_time: 1, mode: 'headless', ref: 'acme/api#1', forge: 'github', url: 'u', title: 't', started_at: ended, parent_session: null, paths_claimed: [], cwd: '/x', branch: 'b', log_path: null, cascade_depth: 0, claude_session_id: null, ended_at: ended, exit_code: 0}
    writeFileSync(path.join(dir, '999123.json'), JSON.stringify(rec), {mode: 0o600})
    const week = await runCli(['sidequests', 'prune'], {env: sb.env})
    expect(week.stderr).to.equal('removed 0 records, kept 1\n')
    const now = await runCli(['sidequests', 'prune', '--older-than', '0'], {env: sb.env})
    expect(now.code, now.stderr).to.equal(0)
    expect(now.stdout).to.equal('removed 999123 acme/api#1\n')
    expect(now.stderr).to.equal('removed 1 record, kept 0\n')
  })

  it('warns about a missing GitHub token once a day per host, not on every command', async () => {
    const forge = await startFakeForge()
    try {
      makeRepo(sb, 'acme', 'api')
      forge.addIssue({owner: 'acme', repo: 'api', number: 1, title: 'One'})
      writeConfig(sb, {github: forge.github})
      const env = {...sb.env, PATH: path.dirname(process.execPath) + ':/usr/bin:/bin'}
      const first = await runCli(['headless', 'acme/api#1', '--dry-run'], {env})
      expect(first.code, first.stderr).to.equal(0)
      expect(first.stderr).to.match(/warning: no GitHub token .*unauthenticated \(said once a day\)/)
      const second = await runCli(['headless', '--dry-run', 'acme/api#1'], {env})
      expect(second.code).to.equal(0)
      expect(second.stderr).not.to.include('no GitHub token')
      // A day later it is said again.
      const marker = path.join(sb.dir, 'xdg-cache', 'dispatch', 'reminders', 'no-token-127.0.0.1')
      // A reminder is no state: --dry-run leaves the state directory alone.
      expect(existsSync(sb.stateDir)).to.equal(false)
      const yesterday = new Date(Date.now() - 86_400_000 - 1000)
      utimesSync(marker, yesterday, yesterday)
      expect((await runCli(['headless', 'acme/api#1', '--dry-run'], {env})).stderr).to.include('no GitHub token')
    } finally {
      await forge.close()
    }
    forge.verify()
  })

  it('rotates the audit log by size, keeping the old lines', async () => {
    const forge = await startFakeForge()
    try {
      makeRepo(sb, 'acme', 'api')
      forge.addIssue({owner: 'acme', repo: 'api', number: 2, title: 'Closed', state: 'closed'})
      writeConfig(sb, {github: forge.github})
      mkdirSync(sb.stateDir, {recursive: true, mode: 0o700})
      const audit = path.join(sb.stateDir, 'audit.jsonl')
      const old = '{"msg":"old"}\n'.repeat(800_000)
      writeFileSync(audit, old, {mode: 0o600})
      const res = await runCli(['headless', 'acme/api#2'], {env: {...sb.env, GH_TOKEN: 'x'}})
      expect(res.code).to.equal(3)
      expect(readFileSync(`${audit}.1`, 'utf8')).to.equal(old)
      const lines = readFileSync(audit, 'utf8').trim().split('\n')
      expect(lines).to.have.length(1)
      expect(JSON.parse(lines[0])).to.include({command: 'headless', exit_code: 3})
      // A small log is appended to, not rotated.
      await runCli(['headless', 'acme/api#2'], {env: {...sb.env, GH_TOKEN: 'x'}})
      expect(readFileSync(audit, 'utf8').trim().split('\n')).to.have.length(2)
      expect(existsSync(`${audit}.2`)).to.equal(false)
    } finally {
      await forge.close()
    }
    forge.verify()
  })

  it('with no config at all, read-only commands run on the default state directory; dispatching names dispatch init', async () => {
    const env = {...sb.env}
    delete env.DISPATCH_CONFIG
    for (const args of [['status'], ['status', '--all', '--json'], ['sidequests', 'list'], ['sidequests', 'list', '--json'], ['sidequests', 'conflicts', 'src/x.ts'], ['reap', '--dry-run'], ['sidequests', 'prune', '--dry-run']]) {
      const res = await runCli(args, {env, cwd: sb.home})
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).to.equal(0)
      expect(res.stderr).not.to.match(/Error/)
    }
    // Nothing is created by looking.
    expect(existsSync(path.join(sb.dir, 'xdg-state', 'dispatch', 'sidequests'))).to.equal(false)
    // Stopping is read-only too: with no config nothing runs, and an empty answer is no error.
    const stopJson = await runCli(['stop', '--all', '--json'], {env, cwd: sb.home})
    expect(stopJson.code, stopJson.stderr).to.equal(0)
    expect(JSON.parse(stopJson.stdout)).to.deep.equal([])
    const stop = await runCli(['stop', '--all'], {env, cwd: sb.home})
    expect(stop.code, stop.stderr).to.equal(0)
    expect(stop.stderr).to.include('no active workers')
    for (const args of [['headless', 'acme/api#1'], ['interactive', 'acme/api#1', '--dry-run'], ['reap']]) {
      const res = await runCli(args, {env, cwd: sb.home})
      expect(res.code, args.join(' ')).to.equal(2)
      expect(res.stderr).to.include('No dispatch configuration found: dispatching needs allowedOwners')
      expect(res.stderr).to.include('Run: dispatch init --owner <your-org>')
    }
  })

  it('names the installed .dispatchrc.example wherever an error points at it', async () => {
    const example = path.join(ROOT, '.dispatchrc.example')
    writeFileSync(sb.configFile, JSON.stringify({allowedOwners: 'acme'}))
    const invalid = await runCli(['headless', 'acme/api#1', '--json'], {env: sb.env})
    expect(invalid.code).to.equal(2)
    expect(JSON.parse(invalid.stdout).error.suggestion).to.equal(`See ${example} for every key and its expected type.`)
    const missing = await runCli(['sidequests', 'list'], {env: {...sb.env, DISPATCH_CONFIG: path.join(sb.dir, 'nope.yaml')}})
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.include(`or copy ${example} there.`)
  })
})

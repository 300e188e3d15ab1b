// Issue #12's security promises through the real binary (SECURITY.md names these tests).
import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {Registry} from '../../src/lib/registry/index.js'
import {useForgeSandbox} from '../support/forge-sandbox.js'
import {ROOT, fillDisk, git, isAlive, killQuietly, makeRepo, mountTiny, runCli, waitFor, writeConfig} from '../support/helpers.js'
import * as state from '../support/state.js'

describe('security (through the binary)', function () {
  this.timeout(60_000)
  const t = useForgeSandbox({hold: true, exitWaitMs: 15_000})
  let {forge, sb, env, release} = t
  let checkout: string
  const records = () => state.records(sb)

  beforeEach(() => {
    ;({forge, sb, env, release} = t)
    checkout = makeRepo(sb, 'acme', 'api')
    forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'})
  })

  describe('config trust', () => {
    it('refuses a .dispatchrc.mjs in the checkout without running it, for every command run from the checkout', async () => {
      const ran = path.join(sb.dir, 'ran')
      const plant = (dir: string) =>
        writeFileSync(path.join(dir, '.dispatchrc.mjs'), `import {writeFileSync} from 'node:fs'\nwriteFileSync(${JSON.stringify(ran)}, 'x')\nexport default {allowedOwners: ['mallory']}\n`)
      plant(checkout)
      const noEnvConfig = {...env, DISPATCH_CONFIG: ''}
      for (const args of [['sidequests', 'list'], ['sidequests', 'conflicts', 'src'], ['status'], ['headless', 'acme/api#12', '--dry-run']]) {
        const res = await runCli(args, {env: noEnvConfig, cwd: checkout})
        expect(res.code, `${args.join(' ')}: ${res.stderr}`).to.equal(2)
        expect(res.stderr).to.include(path.join(checkout, '.dispatchrc.mjs')).and.match(/JavaScript/).and.include('--config')
      }
      expect(existsSync(ran), 'the planted config ran').to.equal(false)
    })

    it('refuses an untrusted .dispatchrc in a repository and names how to trust it; a trusted one loads', async () => {
      writeFileSync(path.join(checkout, '.dispatchrc'), JSON.stringify({allowedOwners: ['mallory']}))
      const noEnvConfig = {...env, DISPATCH_CONFIG: ''}
      const refused = await runCli(['sidequests', 'list', '--json'], {env: noEnvConfig, cwd: path.join(checkout)})
      expect(refused.code).to.equal(2)
      expect(JSON.parse(refused.stdout).error.message).to.include(path.join(checkout, '.dispatchrc')).and.match(/not trusted it/)
      mkdirSync(path.join(sb.dir, 'xdg-config', 'dispatch'), {recursive: true})
      writeFileSync(path.join(sb.dir, 'xdg-config', 'dispatch', 'config.yaml'), `allowedOwners: [acme]\ntrustedConfigs: [${path.join(checkout, '.dispatchrc')}]\n`)
      const trusted = await runCli(['sidequests', 'list', '--json'], {env: noEnvConfig, cwd: checkout})
      expect(trusted.code, trusted.stderr).to.equal(0)
    })
  })

  describe('tokens', () => {
    const TOKEN = 'ghp_SECRETTOKEN0123456789abcdef'
    const standIns = () => (existsSync(sb.recordDir) ? readdirSync(sb.recordDir).map((f) => JSON.parse(readFileSync(path.join(sb.recordDir, f), 'utf8'))) : [])

    it('hands an interactive session its tokens without writing them to the 0600 handoff file', async () => {
      const copy = path.join(sb.dir, 'handoff-copy.json')
      const mode = path.join(sb.dir, 'handoff-mode')
      // A launcher that keeps a copy of the handoff file (the last word of {argv}) before the runner deletes it.
      const script = `for last; do :; done; cp "$last" ${copy}; stat -c %a "$last" > ${mode}; "$@" >/dev/null 2>&1 &`
      writeConfig(sb, {github: forge.github}, {interactive: {command: `sh -c '${script}' sh {argv}`}})
      const res = await runCli(['interactive', 'acme/api#12', '--surface', 'command', '--json'], {env: {...env, GH_TOKEN: TOKEN, MY_SERVICE_API_KEY: 'sk-other-secret-value'}})
      expect(res.code, res.stderr).to.equal(0)
      const [standIn] = await waitFor('stand-in', () => standIns().length > 0 && standIns())
      expect(standIn.env.GH_TOKEN).to.equal(TOKEN)
      const text = readFileSync(copy, 'utf8')
      expect(text).not.to.include(TOKEN).and.not.to.include('sk-other-secret-value')
      expect(JSON.parse(text).secret_names).to.include('GH_TOKEN')
      expect(readFileSync(mode, 'utf8').trim()).to.equal('600')
      expect(readdirSync(path.join(sb.stateDir, 'sessions'))).to.deep.equal([])
    })

    it('the session runner refuses an expired handoff file and removes it', async () => {
      mkdirSync(path.join(sb.stateDir, 'sessions'), {recursive: true, mode: 0o700})
      const file = path.join(sb.stateDir, 'sessions', 'old.json')
      writeFileSync(file, JSON.stringify({claudeBin: '/bin/touch', args: [path.join(sb.dir, 'ran')], cwd: sb.dir, env: {}, stateDir: sb.stateDir, record: {}, secret_names: [], expires_at: Date.now() - 1000}), {mode: 0o600})
      const res = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'lib', 'interactive', 'runner.js'), file], {encoding: 'utf8'})
      expect(res.status).to.equal(1)
      expect(res.stderr).to.match(/has expired/)
      expect(existsSync(file)).to.equal(false)
      expect(existsSync(path.join(sb.dir, 'ran'))).to.equal(false)
    })

    it('with landing: none, neither the worker nor its supervisor holds a forge token', async () => {
      writeConfig(sb, {github: forge.github}, {landing: 'none'})
      const res = await runCli(['headless', 'acme/api#12', '--json'], {env: {...env, GH_TOKEN: TOKEN, GITHUB_TOKEN: TOKEN, FORGEJO_TOKEN: TOKEN}})
      expect(res.code, res.stderr).to.equal(0)
      const record = JSON.parse(res.stdout)
      const environ = readFileSync(`/proc/${record.supervisor_pid}/environ`, 'latin1')
      expect(environ).to.include('DISPATCH_CASCADE_DEPTH=')
      expect(environ).not.to.include(TOKEN)
      expect(readFileSync(`/proc/${record.pid}/environ`, 'latin1')).not.to.include(TOKEN)
    })

    it('never prints a token embedded in a checkout origin URL, on the terminal or in --json', async () => {
      git(checkout, 'remote', 'set-url', 'origin', `https://someone:${TOKEN}@example.invalid/acme/elsewhere.git`)
      for (const args of [['headless', 'acme/api#12'], ['headless', 'acme/api#12', '--json']]) {
        const res = await runCli(args, {env})
        expect(res.code, res.stderr).to.equal(4)
        expect(res.stdout + res.stderr).to.include('https://***@example.invalid/acme/elsewhere.git').and.not.include(TOKEN)
      }
      const audit = path.join(sb.stateDir, 'audit.jsonl')
      if (existsSync(audit)) expect(readFileSync(audit, 'utf8')).not.to.include(TOKEN)
    })
  })

  describe('state directory', () => {
    it('lists, checks conflicts and dispatches past a FIFO and a /dev/zero link among the records, with warnings', async () => {
      mkdirSync(path.join(sb.stateDir, 'sidequests'), {recursive: true, mode: 0o700})
      chmodSync(sb.stateDir, 0o700)
      execFileSync('mkfifo', [path.join(sb.stateDir, 'sidequests', '1.json')])
      symlinkSync('/dev/zero', path.join(sb.stateDir, 'sidequests', '2.json'))
      for (const args of [['sidequests', 'list'], ['sidequests', 'list', '--all'], ['sidequests', 'conflicts', 'src'], ['status', '--all']]) {
        const res = await runCli(args, {env, cwd: checkout, timeoutMs: 60_000})
        expect(res.code, `${args.join(' ')}: ${res.stderr}`).to.equal(0)
        expect(res.stderr, args.join(' ')).to.match(/1\.json: not a regular file/).and.match(/2\.json: a symbolic link/)
      }
      const res = await runCli(['headless', 'acme/api#12', '--json'], {env, timeoutMs: 60_000})
      expect(res.code, res.stderr).to.equal(0)
    })

    it('refuses to dispatch when sidequests/ is a symlink to a world-writable directory', async () => {
      const open = path.join(sb.dir, 'open')
      mkdirSync(open)
      chmodSync(open, 0o777)
      mkdirSync(sb.stateDir, {mode: 0o700})
      symlinkSync(open, path.join(sb.stateDir, 'sidequests'))
      const res = await runCli(['headless', 'acme/api#12'], {env})
      expect(res.code).to.equal(3)
      expect(res.stderr).to.include(`${path.join(sb.stateDir, 'sidequests')} is a symbolic link`)
      expect(readdirSync(open)).to.deep.equal([])
      expect(existsSync(sb.worktreeRoot)).to.equal(false)
    })

    it('does not count a record naming pid 1 as an active worker', async () => {
      mkdirSync(path.join(sb.stateDir, 'sidequests'), {recursive: true, mode: 0o700})
      chmodSync(sb.stateDir, 0o700)
      const planted = {pid: 1, pid_start_time: null, ref: 'acme/api#12', started_at: new Date().toISOString(), cwd: '/', paths_claimed: ['/']}
      writeFileSync(path.join(sb.stateDir, 'sidequests', '1.json'), JSON.stringify(planted), {mode: 0o600})
      const list = await runCli(['sidequests', 'list', '--json'], {env})
      expect(JSON.parse(list.stdout)).to.deep.equal([])
      const conflicts = await runCli(['sidequests', 'conflicts', '/etc', '--json'], {env})
      expect(conflicts.code).to.equal(0)
    })
  })

  describe('full disk', () => {
    let disk: string
    let mounted = false
    beforeEach(function () {
      disk = path.join(sb.dir, 'tiny')
      mounted = mountTiny(disk)
      if (!mounted) this.skip()
    })
    afterEach(async () => {
      if (!mounted) return
      // Workers must let go of the mount before it goes.
      writeFileSync(release, '')
      const pids = records().flatMap((r) => [r.pid, r.supervisor_pid].filter(Boolean))
      await waitFor('workers to exit', () => pids.every((p: number) => !isAlive(p)), 40_000).catch(() => killQuietly(pids))
      execFileSync('umount', ['-l', disk])
    })

    it('a record write on a full disk fails naming the file and leaves no temp file', async () => {
      const registry = new Registry({stateDir: disk})
      mkdirSync(path.join(disk, 'sidequests'), {mode: 0o700})
      fillDisk(disk)
      const error = await registry.write({pid: 4242, ref: 'acme/api#1', paths_claimed: [], cwd: '/', started_at: 'x', title: 'y'.repeat(9000)} as never).catch((e) => e)
      expect(error.message).to.include(path.join(disk, 'sidequests', '4242.json')).and.match(/ENOSPC/)
      expect(readdirSync(path.join(disk, 'sidequests'))).to.deep.equal([])
    })

    it('the supervisor retries the end-of-run record on a full disk, then reports the failure in the log', async function () {
      this.timeout(90_000)
      // Only the records sit on the tiny disk; the log stays writable.
      execFileSync('umount', [disk])
      disk = path.join(sb.stateDir, 'sidequests')
      mkdirSync(sb.stateDir, {recursive: true, mode: 0o700})
      mounted = mountTiny(disk)
      // The retries keep their steps at a tenth of their length (about 3 s instead of 30).
      const res = await runCli(['headless', 'acme/api#12', '--json'], {env: {...env, DISPATCH_FAULT_TIME_SCALE: '0.1'}})
      expect(res.code, res.stderr).to.equal(0)
      const {pid, log_path: log} = JSON.parse(res.stdout)
      fillDisk(disk)
      writeFileSync(release, '')
      const line = await waitFor('the failure in the log', () => readFileSync(log, 'utf8').split('\n').find((l) => l.startsWith('dispatch: could not record')), 60_000)
      expect(line).to.include('exit code 0').and.include(path.join(disk, `${pid}.json`)).and.match(/ENOSPC/)
      expect(readdirSync(disk).filter((f) => f.endsWith('.tmp'))).to.deep.equal([])
      const status = await runCli(['status', 'acme/api#12'], {env})
      expect(status.stdout).to.include('dispatch: could not record the end of this run')
    })
  })
})

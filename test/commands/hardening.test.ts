// The security claim and the failure modes, through the real binary (SECURITY.md names these tests).
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {BIN, ROOT, git, makeRepo, runCli, waitFor, writeConfig} from '../support/helpers.js'
import * as state from '../support/state.js'

// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

describe('hardening (through the binary)', function () {
  this.timeout(120_000)
  const t = useForgeSandbox({hold: true, exitWaitMs: 15_000, config: {maxActive: 40, healthWindowMs: 3000, timeoutMs: 10_000}})
  let {forge, sb, env, release} = t

  const records = () => state.records(sb)

  beforeEach(() => {
    ;({forge, sb, env, release} = t)
    makeRepo(sb, 'acme', 'api')
    for (let n = 1; n <= 20; n++) forge.addIssue({owner: 'acme', repo: 'api', number: n, title: `Task ${n}`})
  })

  describe('kill -9 of dispatch at each step', () => {
    for (const step of ['after-worktree', 'after-spawn', 'after-record'] as const) {
      it(`${step}: no half-written record, a rerun succeeds or says why, reap can clean up`, async () => {
        const child = spawn(process.execPath, [BIN, 'headless', 'acme/api#1'], {env: {...env, DISPATCH_FAULT_PAUSE: step}, stdio: 'ignore'})
        const marker = path.join(sb.stateDir, `fault-${step}`)
        await waitFor(`dispatch to reach ${step}`, () => existsSync(marker))
        child.kill('SIGKILL')
        await waitFor('dispatch to die', () => child.exitCode !== null || child.signalCode !== null)

        // Every record on disk is complete JSON (rename-atomic), whatever the step.
        const dir = path.join(sb.stateDir, 'sidequests')
        for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) expect(() => JSON.parse(readFileSync(path.join(dir, f), 'utf8'))).not.to.throw()

        if (step === 'after-spawn') {
          // The supervisor never got its spec: it must not linger, and nothing started.
          await waitFor('no record and no stand-in', () => records().length === 0 && !existsSync(sb.recordDir))
        }
        const rerun = await runCli(['headless', 'acme/api#1'], {env})
        if (step === 'after-record') {
          // The worker survived its dispatcher (it is detached): the rerun says exactly why not.
          expect(rerun.code).to.equal(3)
          expect(rerun.stderr).to.match(/already has an active worker/)
          expect(records()).to.have.length(1)
        } else {
          expect(rerun.code, rerun.stderr).to.equal(0)
          expect(records()).to.have.length(1)
        }
        // Once the work is merged, reap removes the worktree.
        writeFileSync(release, '')
        const rec = await waitFor('worker end', () => records().find((r) => r.ended_at))
        git(rec.cwd, 'commit', '-q', '--allow-empty', '-m', 'work')
        git(rec.checkout, 'merge', '-q', '--ff-only', rec.branch)
        const reaped = JSON.parse((await runCli(['reap', '--json'], {env})).stdout)
        expect(reaped.find((e: {path: string}) => e.path === rec.cwd)).to.include({action: 'removed'})
      })
    }
  })

  it('20 concurrent dispatches of 20 issues give 20 workers; 20 of one issue give 1 and 19 duplicate refusals', async () => {
    const many = await Promise.all(Array.from({length: 20}, (_, i) => runCli(['headless', `acme/api#${i + 1}`], {env, timeoutMs: 90_000})))
    expect(many.map((r) => r.code), many.map((r) => r.stderr).join('\n')).to.deep.equal(Array(20).fill(0))
    expect(records()).to.have.length(20)
    expect(new Set(records().map((r) => r.cwd)).size).to.equal(20)
    expect(git(path.join(sb.workspace, 'acme', 'api'), 'worktree', 'list').split('\n')).to.have.length(21)

    writeFileSync(release, '')
    await waitFor('all to end', () => records().every((r) => r.ended_at))
    const release2 = path.join(sb.dir, 'release2')
    const same = await Promise.all(Array.from({length: 20}, () => runCli(['headless', 'acme/api#7'], {env: {...env, STANDIN_HOLD_FILE: release2}, timeoutMs: 90_000})))
    const codes = same.map((r) => r.code).sort()
    expect(codes).to.deep.equal([0, ...Array(19).fill(3)])
    expect(same.filter((r) => r.code === 3).every((r) => /already has an active worker/.test(r.stderr))).to.equal(true)
    writeFileSync(release2, '')
  })

  it('shows hostile titles inert on the terminal while the prompt keeps them as data', async () => {
    const title = 'Evil \u001b[2J\u001b]0;pwned\u0007 \u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007 \r\u202eREVERSED\u202c end\u0000!'
    forge.addIssue({owner: 'acme', repo: 'api', number: 30, title, body: `Body \u001b[31mred\u001b[0m\n${'x'.repeat(1024 * 1024)}`})
    const dry = await runCli(['headless', 'acme/api#30', '--dry-run'], {env})
    expect(dry.code, dry.stderr).to.equal(0)
    expect(dry.stdout).not.to.match(TERMINAL_CONTROL)
    expect(dry.stdout).to.include('\\x1b[2J')
    const json = JSON.parse((await runCli(['headless', 'acme/api#30', '--dry-run', '--json'], {env})).stdout)
    expect(json.prompt).to.include('\u001b[31mred')
    expect(Buffer.byteLength(json.prompt)).to.be.below(80 * 1024)
    expect(json.prompt).to.match(/more bytes of the description were cut/)

    // A real dispatch with the 1 MB body works (the body is capped below argv limits).
    const res = await runCli(['headless', 'acme/api#30'], {env})
    expect(res.code, res.stderr).to.equal(0)
    for (const out of [res.stdout, res.stderr, (await runCli(['sidequests', 'list'], {env})).stdout, (await runCli(['status', 'acme/api#30'], {env})).stdout, (await runCli(['status'], {env})).stdout]) {
      expect(out).not.to.match(TERMINAL_CONTROL)
    }
  })

  it('refuses a template path that does not exist before creating anything', async () => {
    writeConfig(sb, {github: forge.github}, {prompts: {headless: path.join(sb.dir, 'missing.md')}})
    const res = await runCli(['headless', 'acme/api#1'], {env})
    expect(res.code).to.equal(2)
    expect(res.stderr).to.match(/prompts\.headless .*missing\.md.* could not be read/)
    expect(existsSync(sb.worktreeRoot)).to.equal(false)
  })

  it('skips a record owned by another user, with an explanation', async function () {
    if (process.getuid?.() !== 0) this.skip()
    mkdirSync(path.join(sb.stateDir, 'sidequests'), {recursive: true, mode: 0o700})
    // Planted by someone else, naming a live process (a sleeper of ours) and claiming everything.
    const sleeper = spawn('sleep', ['30'], {stdio: 'ignore'})
    try {
      const file = path.join(sb.stateDir, 'sidequests', `${sleeper.pid}.json`)
      writeFileSync(file, JSON.stringify({pid: sleeper.pid, ref: 'acme/api#1', started_at: new Date().toISOString(), cwd: '/', paths_claimed: ['/']}))
      chownSync(file, 65534, 65534)
      const res = await runCli(['sidequests', 'conflicts', '/etc', '--json'], {env})
      expect(res.code).to.equal(0)
      expect(res.stderr).to.match(/skipping .*: owned by uid 65534, not you/)
    } finally {
      sleeper.kill('SIGKILL')
    }
  })

  describe('forge faults keep --json errors JSON and never hang', () => {
    it('connection refused', async () => {
      const server = http.createServer()
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
      const port = (server.address() as {port: number}).port
      await new Promise<void>((r) => server.close(() => r()))
      writeConfig(sb, {github: {apiUrl: `http://127.0.0.1:${port}`, webUrl: 'https://github.com'}})
      const res = await runCli(['headless', 'acme/api#1', '--json'], {env})
      expect(res.code).to.equal(1)
      expect(JSON.parse(res.stdout).error.message).to.match(new RegExp(`Could not reach 127\\.0\\.0\\.1:${port}: fetch failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\.`))
    })

    it('slow past the timeout', async () => {
      // The loopback forge answers in this (busy) process: 3 s for the request to reach it, 30 s before the answer.
      writeConfig(sb, {github: forge.github}, {timeoutMs: 3000})
      forge.script('GET /gh-api/repos/acme/api/issues/1', [{status: 200, delayMs: 30_000}])
      const res = await runCli(['headless', 'acme/api#1', '--json'], {env})
      expect(res.code).to.equal(1)
      expect(JSON.parse(res.stdout).error.message).to.match(/Timed out after 3 s waiting for 127\.0\.0\.1/)
    })

    it('rate-limited with a reset 2 s ahead: waits and retries once', async () => {
      const reset = Math.ceil(Date.now() / 1000) + 2
      forge.script('GET /gh-api/repos/acme/api/issues/1', [{status: 403, body: {message: 'API rate limit exceeded'}, headers: {'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-limit': '60'}}])
      const res = await runCli(['headless', 'acme/api#1', '--dry-run', '--json'], {env})
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.match(/rate limit reached; retrying/)
      expect(forge.requestsTo('/gh-api/repos/acme/api/issues/1')).to.have.length(2)
    })
  })

  it('never puts a config-file token into anything: tokens are only read from the environment', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
    expect(pkg.name).to.equal('issue-dispatch')
    writeFileSync(sb.configFile, JSON.stringify({...JSON.parse(readFileSync(sb.configFile, 'utf8')), github: {...forge.github, token: 'ghp_in_config_file_0000'}}))
    const res = await runCli(['headless', 'acme/api#1', '--dry-run'], {env})
    expect(res.code).to.equal(0)
    expect(res.stderr).to.match(/unknown key "github\.token" ignored/)
    expect(forge.requests.every((r) => r.headers.authorization === undefined)).to.equal(true)
  })
})

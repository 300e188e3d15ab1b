import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {startFakeForge} from '../support/fake-forge.mjs'
import {BIN, STAND_IN, killTmux, makeSandbox, runCli, startModelStub, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'

type FakeForge = Awaited<ReturnType<typeof startFakeForge>>

interface Check {
  name: string
  status: 'ok' | 'warn' | 'fail'
  detail: string
  fix?: string
}

describe('dispatch doctor (through the binary)', function () {
  this.timeout(30_000)
  let forge: FakeForge
  let sb: Sandbox
  const GH = 'ghp_DOCTORSECRET0123456789'
  const FJ = 'fj_DOCTORSECRET0123456789'

  let model: Awaited<ReturnType<typeof startModelStub>>
  let modelEnv: NodeJS.ProcessEnv
  let KEY: string

  beforeEach(async () => {
    forge = await startFakeForge()
    sb = makeSandbox()
    model = await startModelStub()
    modelEnv = model.env
    KEY = model.env.ANTHROPIC_API_KEY!
  })
  afterEach(async () => {
    await forge.close()
    await model.close()
    sb.cleanup()
    forge.verify()
  })

  it('passes every check against reachable forges, shows where tokens come from but never the tokens', async () => {
    writeConfig(sb, {github: forge.github, forgejo: forge.forgejo})
    // Claude has run here before and the key was approved (by its last 20 characters, as Claude Code keeps it).
    writeFileSync(path.join(sb.claudeDir, '.claude.json'), JSON.stringify({hasCompletedOnboarding: true, customApiKeyResponses: {approved: [KEY.slice(-20)], rejected: []}}))
    const env = {...sb.env, GH_TOKEN: GH, FORGEJO_TOKEN: FJ, ...modelEnv}
    const res = await runCli(['doctor'], {env})
    expect(res.code, res.stdout + res.stderr).to.equal(0)
    const host = new URL(forge.github.apiUrl).host
    for (const line of [
      `✓ config: ${sb.configFile} (allowedOwners: acme, Solo-Dev)`,
      `✓ claude: ${STAND_IN}: 2.1.0 (Claude Code stand-in)`,
      '✓ Claude auth: from ANTHROPIC_API_KEY',
      `✓ model API: ${modelEnv.ANTHROPIC_BASE_URL} answers (HTTP 404)`,
      '✓ GitHub token: from GH_TOKEN',
      '✓ Forgejo token: from FORGEJO_TOKEN',
      `✓ GitHub (${host}): rate limit 4999/5000`,
      `✓ Forgejo (${host}): Forgejo 13.0.2+gitea-1.22.0`,
      `✓ workspace: ${sb.workspace} (layout {owner}/{repo})`,
    ]) {
      expect(res.stdout).to.include(line)
    }
    expect(res.stdout).to.match(/^✓ git: git \d+\.\d+/m)
    expect(res.stdout).to.include(`✓ state dir: ${sb.stateDir} will be created`)
    expect(res.stdout).to.match(/Ready to dispatch\.\n$/)
    expect(res.stdout + res.stderr).not.to.include(GH).and.not.to.include(FJ).and.not.to.include(KEY)
    // The reachability checks authenticate the way a dispatch would.
    expect(forge.requestsTo('/gh-api/rate_limit')[0].headers.authorization).to.equal(`token ${GH}`)
    expect(forge.requestsTo('/fj/api/v1/version')[0].headers.authorization).to.equal(`token ${FJ}`)
    // It only looks: nothing is created.
    expect(existsSync(sb.stateDir)).to.equal(false)
    expect(existsSync(sb.worktreeRoot)).to.equal(false)

    const json = await runCli(['doctor', '--json'], {env})
    expect(json.code).to.equal(0)
    const report = JSON.parse(json.stdout) as {ok: boolean; checks: Check[]}
    expect(report.ok).to.equal(true)
    expect(report.checks.map((c) => c.name)).to.deep.equal(['config', 'git', 'claude', 'permission mode', 'Claude config', 'Claude auth', 'model API', 'GitHub token', 'Forgejo token', `GitHub (${host})`, `Forgejo (${host})`, 'state dir', 'worktree root', 'sandbox', 'workspace'])
    expect(report.checks.every((c) => c.status === 'ok')).to.equal(true)
  })

  it("checks the permission mode against the installed claude and Claude's own config (first run, API key), each with its fix", async () => {
    const file = path.join(sb.claudeDir, '.claude.json')
    const doctor = async (mode: string, extra: NodeJS.ProcessEnv = {}) => {
      writeConfig(sb, {github: forge.github}, {claude: {bin: STAND_IN, permissionMode: mode}})
      const res = await runCli(['doctor', '--json'], {env: {...sb.env, ...modelEnv, ...extra}})
      return {code: res.code, checks: (JSON.parse(res.stdout) as {checks: Check[]}).checks.filter((c) => c.name === 'permission mode' || c.name === 'Claude config'), text: res.stdout + res.stderr}
    }
    // Never run: no config file at all, and the key never approved.
    let r = await doctor('acceptEdits')
    expect(r.checks[0]).to.include({name: 'permission mode', status: 'ok'})
    expect(r.checks[1]).to.deep.include({name: 'Claude config', status: 'warn', fix: `Run claude once in a terminal and finish its setup, or set "hasCompletedOnboarding": true in ${file}.`})
    expect(r.checks[1].detail).to.match(/does not exist: claude has never run here; interactive sessions and dispatch attach stop/)
    expect(r.checks[2]).to.deep.include({name: 'Claude config', status: 'warn', fix: `Run claude once in a terminal and approve the key, or add the key's last 20 characters to customApiKeyResponses.approved in ${file}.`})
    expect(r.checks[2].detail).to.match(/the API key in ANTHROPIC_API_KEY is not approved/)
    expect(r.text).not.to.include(KEY.slice(-20))

    // First run finished, another key approved: only the key is said.
    writeFileSync(file, JSON.stringify({hasCompletedOnboarding: true, customApiKeyResponses: {approved: ['someone-elses-key-tail'], rejected: []}}))
    r = await doctor('acceptEdits')
    expect(r.checks.map((c) => c.status)).to.deep.equal(['ok', 'warn'])
    writeFileSync(file, JSON.stringify({hasCompletedOnboarding: false, customApiKeyResponses: {approved: [KEY.slice(-20)]}}))
    r = await doctor('acceptEdits')
    expect(r.checks.map((c) => c.status)).to.deep.equal(['ok', 'warn'])
    expect(r.checks[1].detail).to.include("claude's first-run setup never finished")

    // A mode the installed claude does not take fails; auto warns with the mode that works.
    r = await doctor('auto', {STANDIN_PERMISSION_MODES: 'acceptEdits,plan'})
    expect(r.code).to.equal(1)
    expect(r.checks[0]).to.deep.include({status: 'fail', detail: 'claude.permissionMode is auto, which the installed claude does not take (it takes acceptEdits, plan).', fix: 'Set claude.permissionMode to acceptEdits, or update Claude Code.'})
    r = await doctor('auto')
    expect(r.checks[0].status).to.equal('warn')
    expect(r.checks[0].detail).to.include('Auto mode is unavailable')
    expect(r.checks[0].fix).to.match(/^Set claude\.permissionMode to acceptEdits/)
  })

  it('says what to fix, and exits 1, for each thing that would stop a dispatch', async () => {
    writeConfig(sb, {github: forge.github}, {claude: {bin: path.join(sb.dir, 'no-such-claude'), permissionMode: 'auto'}})
    mkdirSync(sb.stateDir, {recursive: true})
    chmodSync(sb.stateDir, 0o777)
    rmSync(sb.workspace, {recursive: true})
    const host = new URL(forge.github.apiUrl).host
    await forge.close()
    const res = await runCli(['doctor'], {env: {...sb.env, PATH: '/usr/bin:/bin'}})
    expect(res.code, res.stdout + res.stderr).to.equal(1)
    const out = res.stdout
    expect(out).to.match(new RegExp(`✗ claude: The claude binary ${sb.dir}/no-such-claude does not exist or is not executable\\.\\n    fix: Install Claude Code`))
    expect(out).to.match(/! permission mode: claude\.permissionMode is auto.*\n    fix: .*acceptEdits/)
    // The model side, with the cause a person can act on rather than "fetch failed".
    expect(out).to.match(/✗ Claude auth: no API key, auth token or logged-in account found for Claude Code\n    fix: Run claude once and \/login/)
    expect(out).to.include('✗ model API: http://127.0.0.1:2: fetch failed: connect ECONNREFUSED 127.0.0.1:2\n')
    expect(out).to.match(/! GitHub token: none: GitHub is used unauthenticated.*\n    fix: Set GH_TOKEN or run gh auth login\./)
    expect(out).to.match(new RegExp(`✗ GitHub \\(${host}\\): .*${host.replace('.', '\\.')}`))
    expect(out).to.match(new RegExp(`✗ state dir: ${sb.stateDir} is writable by other users \\(mode 777\\)\\n    fix: .*chmod 700`))
    expect(out).to.match(new RegExp(`! workspace: ${sb.workspace} does not exist\\n    fix: `))
    expect(out).to.match(/Some checks failed; fix them before dispatching\.\n$/)
    const json = JSON.parse((await runCli(['doctor', '--json'], {env: {...sb.env, PATH: '/usr/bin:/bin'}})).stdout) as {ok: boolean; checks: Check[]}
    expect(json.ok).to.equal(false)
    expect(json.checks.filter((c) => c.status === 'fail').map((c) => c.name)).to.deep.equal(['claude', 'Claude auth', 'model API', `GitHub (${host})`, 'state dir'])
  })

  it('names the missing configuration and still checks git', async () => {
    const env = {...sb.env}
    delete env.DISPATCH_CONFIG
    const res = await runCli(['doctor'], {env, cwd: sb.dir})
    expect(res.code).to.equal(1)
    expect(res.stdout).to.match(/✗ config: No dispatch configuration found: dispatching needs allowedOwners.*\n    fix: Run: dispatch init --owner <your-org> \(writes .*config\.yaml\)/)
    expect(res.stdout).to.match(/^✓ git: git \d/m)
    expect(res.stdout).not.to.match(/^. claude:/m)
  })

  it('colours the marks on a terminal, and not with NO_COLOR', async () => {
    writeConfig(sb, {github: forge.github})
    // A private tmux server whose panes are real terminals.
    const env: NodeJS.ProcessEnv = {...sb.env, GH_TOKEN: GH, TMUX_TMPDIR: sb.dir, ...modelEnv}
    delete env.NO_COLOR
    delete env.TMUX
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env, encoding: 'utf8'})
    try {
      for (const [name, prefix] of [['colour', ''], ['plain', 'NO_COLOR=1 ']]) {
        const done = path.join(sb.dir, `${name}.done`)
        tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', `${prefix}${process.execPath} ${BIN} doctor; echo $? > ${done}; sleep 600`)
        await waitFor(`doctor in the ${name} pane`, () => existsSync(done) && readFileSync(done, 'utf8').trim() !== '')
        const screen = tmux('capture-pane', '-p', '-e', '-t', name)
        expect(screen).to.include('Ready to dispatch.')
        if (name === 'colour') expect(screen).to.match(/\u001b\[32m✓\u001b\[(0|39)m config:/)
        else expect(screen).to.include('✓ config:').and.not.to.include('\u001b[32m')
      }
    } finally {
      killTmux(env)
    }
  })

  it('finds a logged-in account, checks tmux when the surface needs it, and puts each config warning on its own line', async () => {
    writeConfig(sb, {github: forge.github}, {interactive: {surface: 'tmux'}, notes: 'x', claude: {bin: STAND_IN, permissionMode: 'acceptEdits', binn: 'y'}})
    writeFileSync(path.join(sb.claudeDir, '.credentials.json'), '{"claudeAiOauth": {"accessToken": "secret-login-token"}}')
    const env = {...sb.env, GH_TOKEN: GH, ANTHROPIC_BASE_URL: modelEnv.ANTHROPIC_BASE_URL, PATH: sb.home}
    const res = await runCli(['doctor'], {env})
    expect(res.stdout).to.include(`✓ Claude auth: from a logged-in account (${path.join(sb.claudeDir, '.credentials.json')})\n`)
    expect(res.stdout).not.to.include('secret-login-token')
    expect(res.stdout).to.include('✗ tmux: interactive.surface is tmux, but tmux is not on PATH\n    fix: Install tmux')
    expect(res.stdout).to.include(`! config: ${sb.configFile}: unknown key "notes" ignored\n`)
    expect(res.stdout).to.include(`! config: ${sb.configFile}: unknown key "claude.binn" ignored (did you mean "claude.bin"?)\n`)
  })
})

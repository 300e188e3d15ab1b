import {expect} from 'chai'
import {execFile, execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {ROOT, STAND_IN, makeRepo, runCli, startModelStub, type Sandbox} from '../support/helpers.js'

interface Run {
  code: number
  output: string
}

/** Run npm with the caller's npm setup (registry, CA, cache) but no lifecycle noise. */
function npm(args: string[], cwd: string): Promise<Run> {
  const env = {...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_loglevel: 'warn'}
  // Scripts run by an outer `npm test` set these; they must not leak into the inner npm.
  for (const k of Object.keys(env)) if (/^npm_(package|lifecycle)_/.test(k)) delete env[k]
  return new Promise((resolve) => {
    execFile('npm', args, {cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 150_000}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}\n${stderr}`})
    })
  })
}

/**
 * The clone as a fresh `git clone` + `npm ci` would have it: every tracked
 * (and new, not ignored) file, the installed node_modules, and no dist/.
 */
function freshClone(into: string): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {cwd: ROOT, encoding: 'utf8'}).split('\0').filter(Boolean)
  for (const file of files) {
    const from = path.join(ROOT, file)
    if (!existsSync(from)) continue // deleted in the work tree
    mkdirSync(path.dirname(path.join(into, file)), {recursive: true})
    copyFileSync(from, path.join(into, file))
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(into, 'node_modules'))
  return into
}

describe('installing the package (npm pack, npm install -g)', function () {
  // npm pack builds (tsc + manifest) and npm install resolves the runtime
  // dependencies from the registry (cache first): about a minute on a busy box.
  this.timeout(300_000)
  let tmp: string
  let tarball: string
  let prefix: string
  let install: Run

  before(async () => {
    tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-install-')))
    const clone = freshClone(path.join(tmp, 'clone'))
    const packs = path.join(tmp, 'packs')
    mkdirSync(packs)
    const pack = await npm(['pack', '--json', '--pack-destination', packs], clone)
    expect(pack.code, pack.output).to.equal(0)
    const name = JSON.parse(pack.output.slice(pack.output.indexOf('['), pack.output.lastIndexOf(']') + 1))[0].filename as string
    tarball = path.join(packs, name)
    prefix = path.join(tmp, 'prefix')
    install = await npm(['install', '--global', '--prefix', prefix, '--prefer-offline', tarball], tmp)
  })
  after(() => {
    if (tmp) rmSync(tmp, {recursive: true, force: true, maxRetries: 10, retryDelay: 100})
  })

  let model: Awaited<ReturnType<typeof startModelStub>>
  const t = useForgeSandbox({teardown: () => model?.close()})
  let sb: Sandbox

  beforeEach(async () => {
    sb = t.sb
    model = await startModelStub()
    makeRepo(sb, 'acme', 'api')
    t.forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'Steps to reproduce'})
  })

  it('npm pack builds dist/ into the tarball', () => {
    const listing = execFileSync('tar', ['-tzf', tarball], {encoding: 'utf8'}).split('\n')
    expect(listing).to.include.members(['package/bin/run.js', 'package/dist/index.js', 'package/dist/fast.js', 'package/dist/commands/headless.js', 'package/oclif.manifest.json', 'package/prompts/headless.md'])
    expect(listing.filter((f) => f.startsWith('package/test/') || f.startsWith('package/src/'))).to.deep.equal([])
  })

  it('npm install -g of the tarball succeeds on this Node without an engine warning', () => {
    expect(install.code, install.output).to.equal(0)
    // A runtime dependency whose engines refuse the Node we support would break a user's install.
    expect(install.output).not.to.match(/EBADENGINE/)
    expect(existsSync(path.join(prefix, 'bin', 'dispatch'))).to.equal(true)
  })

  it('the installed dispatch runs from another directory: --version, doctor, headless --dry-run, a watch pass', async () => {
    const bin = path.join(prefix, 'bin', 'dispatch')
    const env = {...sb.env, ...model.env, PATH: `${path.join(prefix, 'bin')}:${sb.env.PATH}`}
    const version = await runCli(['--version'], {env, cwd: sb.dir, bin})
    expect(version.code, version.stderr).to.equal(0)
    const {version: expected} = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
    expect(version.stdout).to.include(`issue-dispatch/${expected}`)

    const doctor = await runCli(['doctor'], {env, cwd: sb.dir, bin})
    expect(doctor.code, doctor.stdout + doctor.stderr).to.equal(0)
    expect(doctor.stdout).to.include(`✓ claude: ${STAND_IN}`)
    expect(doctor.stdout).to.match(/Ready to dispatch\.\n$/)

    const dry = await runCli(['headless', 'acme/api#12', '--dry-run', '--json'], {env, cwd: sb.dir, bin})
    expect(dry.code, dry.stderr).to.equal(0)
    const plan = JSON.parse(dry.stdout)
    expect(plan.branch).to.equal('dispatch/issue-12-fix-the-login-bug')
    // The prompt comes from the installed package's own templates.
    expect(plan.prompt).to.include('Fix the login bug').and.to.include('Steps to reproduce')
    expect(existsSync(sb.worktreeRoot)).to.equal(false)

    // One pass of the loop from the installed package: the labelled issue's worker starts.
    t.forge.addIssue({owner: 'acme', repo: 'api', number: 13, title: 'Loop me', labels: ['go']})
    const pass = await runCli(['watch', '--once', '--json', '--repo', 'acme/api', '--label', 'go'], {env, cwd: sb.dir, bin})
    expect(pass.code, pass.stderr).to.equal(0)
    const events = pass.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(events.filter((e) => e.event === 'started').map((e) => [e.ref, e.attempt])).to.deep.equal([['acme/api#13', 1]])
  })
})

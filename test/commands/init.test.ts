import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {BIN, ROOT, git, killTmux, makeRepo, makeSandbox, runCli, waitFor, type Sandbox} from '../support/helpers.js'

/** The sandbox's env without DISPATCH_CONFIG: init writes where the search would find it. */
function bareEnv(sb: Sandbox): NodeJS.ProcessEnv {
  const env = {...sb.env}
  delete env.DISPATCH_CONFIG
  return env
}

describe('dispatch init (through the binary)', function () {
  this.timeout(60_000)
  let sb: Sandbox
  let env: NodeJS.ProcessEnv
  let target: string

  beforeEach(() => {
    sb = makeSandbox()
    env = bareEnv(sb)
    target = path.join(sb.dir, 'xdg-config', 'dispatch', 'config.yaml')
  })
  afterEach(() => sb.cleanup())

  it('writes a commented starter config in the XDG location, 0600, that every command then loads', async () => {
    const res = await runCli(['init', '--owner', 'acme', '--owner=Solo-Dev,acme'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.include(`✓ Wrote ${target}`)
    const text = readFileSync(target, 'utf8')
    expect(text).to.include('allowedOwners: ["acme", "Solo-Dev"]')
    expect(text).to.match(/^# /m)
    // The installed example is named by its path, so a user can open it.
    expect(text).to.include(`explained in ${path.join(ROOT, '.dispatchrc.example')}`)
    expect(statSync(target).mode & 0o777).to.equal(0o600)
    expect(statSync(path.dirname(target)).mode & 0o777).to.equal(0o700)
    // The search finds it from an unrelated directory and it validates.
    const list = await runCli(['sidequests', 'list', '--json'], {env, cwd: sb.home})
    expect(list.code, list.stderr).to.equal(0)
    expect(JSON.parse(list.stdout)).to.deep.equal([])
  })

  it('guesses the workspace root from the checkout it runs in', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const res = await runCli(['init', '--json', '--owner', 'acme'], {env, cwd: path.join(checkout)})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    expect(out).to.deep.equal({file: target, allowedOwners: ['acme'], workspace: {root: sb.workspace, layout: '{owner}/{repo}'}, workspace_from: 'checkout'})
    // A checkout whose folder is only the repository's name gives the {repo} layout.
    const flat = path.join(sb.dir, 'code', 'api')
    mkdirSync(flat, {recursive: true})
    git(flat, 'init', '-q')
    git(flat, 'remote', 'add', 'origin', 'https://github.com/acme/api.git')
    const other = path.join(sb.dir, 'other.yaml')
    const res2 = await runCli(['init', '--owner', 'acme', '--config', other, '--json'], {env, cwd: flat})
    expect(JSON.parse(res2.stdout).workspace).to.deep.equal({root: path.join(sb.dir, 'code'), layout: '{repo}'})
    // No checkout at all: ~/src, said to be a guess.
    const third = path.join(sb.dir, 'third.yaml')
    const res3 = await runCli(['init', '--owner', 'acme', '--config', third], {env, cwd: sb.home})
    expect(res3.stdout).to.include(`workspace      ${path.join(sb.home, 'src')}/{owner}/{repo} (a guess`)
    expect(readFileSync(third, 'utf8')).to.include('root: "~/src"')
  })

  it('refuses to overwrite, to run without owners off a terminal, and bad names; writes nothing then', async () => {
    mkdirSync(path.dirname(target), {recursive: true})
    writeFileSync(target, 'allowedOwners: [mine]\n')
    const again = await runCli(['init', '--owner', 'acme'], {env, cwd: sb.dir})
    expect(again.code).to.equal(2)
    expect(again.stderr).to.include(`${target} already exists; dispatch init never overwrites a config.`)
    expect(readFileSync(target, 'utf8')).to.equal('allowedOwners: [mine]\n')

    const other = path.join(sb.dir, 'new', 'config.yaml')
    const none = await runCli(['init', '--config', other], {env, cwd: sb.dir})
    expect(none.code).to.equal(2)
    expect(none.stderr).to.include('Pass --owner my-org')
    const bad = await runCli(['init', '--config', other, '--owner', '../etc', '--json'], {env, cwd: sb.dir})
    expect(bad.code).to.equal(2)
    expect(JSON.parse(bad.stdout).error.message).to.match(/invalid config: allowedOwners/)
    expect(existsSync(other)).to.equal(false)
  })

  it('sets up Forgejo and GitHub Enterprise from --forgejo-url / --github-url, and forgejo:name owners with them', async () => {
    const res = await runCli(['init', '--owner', 'forgejo:acme,solo', '--forgejo-url=https://forgejo.example.com/', '--github-url', 'https://ghe.example.com', '--json'], {env, cwd: sb.dir})
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    expect(out).to.deep.include({allowedOwners: ['forgejo:acme', 'solo'], github: {webUrl: 'https://ghe.example.com', apiUrl: 'https://ghe.example.com/api/v3'}, forgejo: {baseUrl: 'https://forgejo.example.com', apiUrl: 'https://forgejo.example.com/api/v1'}})
    const text = readFileSync(target, 'utf8')
    expect(text).to.match(/^forgejo:\n {2}baseUrl: "https:\/\/forgejo\.example\.com"$/m)
    expect(text).to.match(/^github:\n {2}webUrl: "https:\/\/ghe\.example\.com"\n {2}apiUrl: "https:\/\/ghe\.example\.com\/api\/v3"$/m)
    // An unattended worker's permission mode: one that needs no account feature.
    expect(text).to.match(/^ {2}permissionMode: acceptEdits$/m)
    // Every command loads it (the forgejo: owner no longer refused).
    const list = await runCli(['sidequests', 'list', '--json'], {env, cwd: sb.home})
    expect(list.code, list.stderr).to.equal(0)

    // Human output names both; github.com itself writes no section.
    const other = path.join(sb.dir, 'gh.yaml')
    const plain = await runCli(['init', '--owner', 'acme', '--github-url', 'https://github.com', '--forgejo-url', 'http://localhost:3000/git', '--config', other], {env, cwd: sb.dir})
    expect(plain.code, plain.stderr).to.equal(0)
    expect(plain.stdout).to.include('forgejo        http://localhost:3000/git')
    expect(readFileSync(other, 'utf8')).not.to.match(/^github:/m)
  })

  it('refuses a forgejo: owner without --forgejo-url and bad forge URLs (exit 2, nothing written)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--owner', 'forgejo:acme'], /--owner forgejo:acme names Forgejo, but no Forgejo is given\.[\s\S]*--forgejo-url https:/],
      [['--owner', 'acme', '--forgejo-url', 'forgejo.example.com'], /--forgejo-url "forgejo\.example\.com" is not a URL/],
      [['--owner', 'acme', '--forgejo-url', 'ftp://forgejo.example.com'], /is not an http\(s\) URL/],
      [['--owner', 'acme', '--github-url', 'https://me:tok@ghe.example.com'], /--github-url .* carries a user name or password/],
      [['--owner', 'acme', '--github-url=https://ghe.example.com/?x=1'], /has a query or fragment/],
    ]
    for (const [args, message] of cases) {
      const res = await runCli(['init', ...args], {env, cwd: sb.dir})
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).to.equal(2)
      expect(res.stderr).to.match(message)
      expect(existsSync(target), args.join(' ')).to.equal(false)
    }
  })

  it('asks for the owners on a terminal, offering the checkout\'s owner', async () => {
    const checkout = makeRepo(sb, 'acme', 'api')
    const tenv = {...env, TMUX_TMPDIR: path.join(sb.dir, 'tmux')}
    mkdirSync(tenv.TMUX_TMPDIR!, {recursive: true})
    const tmux = (...args: string[]) => execFileSync('tmux', args, {env: tenv, encoding: 'utf8'})
    const done = path.join(sb.dir, 'done')
    try {
      tmux('new-session', '-d', '-s', 'init', '-x', '160', '-y', '40', '-c', checkout, `${process.execPath} ${BIN} init; echo $? > ${done}; sleep 600`)
      await waitFor('the question', () => tmux('capture-pane', '-p', '-t', 'init').includes('comma-separated [acme]:'))
      tmux('send-keys', '-t', 'init', 'Enter')
      await waitFor('init to finish', () => existsSync(done) && readFileSync(done, 'utf8').trim() !== '')
      expect(readFileSync(done, 'utf8').trim()).to.equal('0')
      expect(readFileSync(target, 'utf8')).to.include('allowedOwners: ["acme"]')
    } finally {
      killTmux(tenv)
    }
  })
})

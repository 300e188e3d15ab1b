import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {loadConfig} from '../../src/lib/config/index.js'
import {UsageError} from '../../src/lib/errors.js'

describe('config', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  let project: string

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'dispatch-config-')))
    project = path.join(dir, 'project', 'sub', 'deeper')
    mkdirSync(project, {recursive: true})
    env = {HOME: path.join(dir, 'home'), XDG_CONFIG_HOME: path.join(dir, 'xdg'), XDG_STATE_HOME: path.join(dir, 'state'), XDG_DATA_HOME: path.join(dir, 'data')}
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const minimal = 'allowedOwners: [acme]\n'
  const places: Array<[string, string]> = [
    ['.dispatchrc', minimal],
    ['.dispatchrc.json', JSON.stringify({allowedOwners: ['acme']})],
    ['.dispatchrc.yaml', minimal],
    ['.dispatchrc.yml', minimal],
    ['.dispatchrc.mjs', 'export default {allowedOwners: ["acme"]}\n'],
    ['.dispatchrc.cjs', 'module.exports = {allowedOwners: ["acme"]}\n'],
    ['dispatch.config.mjs', 'export default {allowedOwners: ["acme"]}\n'],
    ['dispatch.config.cjs', 'module.exports = {allowedOwners: ["acme"]}\n'],
    ['package.json', JSON.stringify({name: 'x', dispatch: {allowedOwners: ['acme']}})],
  ]
  for (const [name, text] of places) {
    const js = /\.(m|c)?js$/.test(name)
    it(js ? `refuses ${name} found by the search, without running it` : `finds ${name} searching upward from cwd (outside any git tree)`, async () => {
      const file = path.join(dir, 'project', name)
      const ran = path.join(dir, 'ran')
      if (js) {
        // Code that leaves a trace when it runs.
        const trace = name.endsWith('.mjs')
          ? `import {writeFileSync} from 'node:fs'\nwriteFileSync(${JSON.stringify(ran)}, 'x')\nexport default {allowedOwners: ['evil']}\n`
          : `require('node:fs').writeFileSync(${JSON.stringify(ran)}, 'x')\nmodule.exports = {allowedOwners: ['evil']}\n`
        writeFileSync(file, trace)
        const error = await loadConfig({cwd: project, env}).catch((e) => e)
        expect(error).to.be.instanceOf(UsageError)
        expect(error.message).to.include(file).and.match(/JavaScript/)
        expect(error.suggestion).to.include(`--config ${file}`)
        expect(existsSync(ran), 'the file ran').to.equal(false)
        return
      }
      writeFileSync(file, text)
      const config = await loadConfig({cwd: project, env})
      expect(config.file).to.equal(file)
      expect(config.allowedOwners).to.deep.equal(['acme'])
    })
  }

  it('still loads a JavaScript config given explicitly or in the XDG location', async () => {
    writeFileSync(path.join(dir, 'mine.mjs'), 'export default {allowedOwners: ["explicit"]}\n')
    expect((await loadConfig({cwd: project, env, configPath: path.join(dir, 'mine.mjs')})).allowedOwners).to.deep.equal(['explicit'])
    expect((await loadConfig({cwd: project, env: {...env, DISPATCH_CONFIG: path.join(dir, 'mine.mjs')}})).allowedOwners).to.deep.equal(['explicit'])
    mkdirSync(path.join(dir, 'xdg', 'dispatch'), {recursive: true})
    writeFileSync(path.join(dir, 'xdg', 'dispatch', 'config.mjs'), 'export default {allowedOwners: ["xdg"]}\n')
    expect((await loadConfig({cwd: project, env})).allowedOwners).to.deep.equal(['xdg'])
  })

  describe('inside a git working tree', () => {
    let repo: string
    let worktree: string
    beforeEach(() => {
      repo = path.join(dir, 'project')
      execFileSync('git', ['init', '-q', repo])
      // A linked worktree has a .git file, not a directory: the same rule applies.
      worktree = path.join(dir, 'wt')
      execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x'])
      execFileSync('git', ['-C', repo, 'worktree', 'add', '-q', worktree])
      mkdirSync(path.join(dir, 'xdg', 'dispatch'), {recursive: true})
      writeFileSync(path.join(dir, 'xdg', 'dispatch', 'config.yaml'), 'allowedOwners: [operator]\n')
    })

    for (const [name, text] of places.filter(([n]) => !/js$/.test(n))) {
      it(`refuses an untrusted ${name} in the repository and in a worktree, naming the file and how to trust it`, async () => {
        for (const root of [repo, worktree]) {
          const file = path.join(root, name)
          writeFileSync(file, text.replace('acme', 'attacker'))
          const error = await loadConfig({cwd: root, env}).catch((e) => e)
          expect(error, root).to.be.instanceOf(UsageError)
          expect(error.message).to.include(file).and.match(/not trusted it/)
          expect(error.suggestion).to.include(`--config ${file}`).and.include('trustedConfigs').and.include(path.join(dir, 'xdg', 'dispatch', 'config.yaml'))
        }
      })
    }

    it('loads a searched config the operator listed under trustedConfigs, and only that one', async () => {
      writeFileSync(path.join(repo, '.dispatchrc'), 'allowedOwners: [trusted]\n')
      writeFileSync(path.join(worktree, '.dispatchrc'), 'allowedOwners: [other]\n')
      writeFileSync(path.join(dir, 'xdg', 'dispatch', 'config.yaml'), `allowedOwners: [operator]\ntrustedConfigs: [${path.join(repo, '.dispatchrc')}]\n`)
      expect((await loadConfig({cwd: path.join(repo), env})).allowedOwners).to.deep.equal(['trusted'])
      expect(await loadConfig({cwd: worktree, env}).catch((e) => e)).to.be.instanceOf(UsageError)
    })

    it('ignores trustedConfigs anywhere but the XDG config, with a warning', async () => {
      writeFileSync(path.join(repo, '.dispatchrc'), `allowedOwners: [attacker]\ntrustedConfigs: [${path.join(repo, '.dispatchrc')}]\n`)
      expect(await loadConfig({cwd: repo, env}).catch((e) => e)).to.be.instanceOf(UsageError)
      const warnings: string[] = []
      await loadConfig({cwd: repo, env, configPath: path.join(repo, '.dispatchrc'), warn: (m) => warnings.push(m)})
      expect(warnings.join('\n')).to.match(/trustedConfigs is read only from/)
    })

    it('uses the XDG config from inside a repository that has no config of its own', async () => {
      expect((await loadConfig({cwd: worktree, env})).allowedOwners).to.deep.equal(['operator'])
    })
  })

  it('skips a package.json without a dispatch key and keeps searching', async () => {
    writeFileSync(path.join(dir, 'project', 'sub', 'package.json'), JSON.stringify({name: 'x'}))
    writeFileSync(path.join(dir, 'project', '.dispatchrc'), minimal)
    expect((await loadConfig({cwd: project, env})).file).to.equal(path.join(dir, 'project', '.dispatchrc'))
  })

  it('falls back to $XDG_CONFIG_HOME/dispatch/config.yaml', async () => {
    mkdirSync(path.join(dir, 'xdg', 'dispatch'), {recursive: true})
    writeFileSync(path.join(dir, 'xdg', 'dispatch', 'config.yaml'), minimal)
    const config = await loadConfig({cwd: project, env})
    expect(config.file).to.equal(path.join(dir, 'xdg', 'dispatch', 'config.yaml'))
  })

  it('prefers --config over DISPATCH_CONFIG over the search', async () => {
    writeFileSync(path.join(dir, 'project', '.dispatchrc'), 'allowedOwners: [search]\n')
    writeFileSync(path.join(dir, 'env.yaml'), 'allowedOwners: [fromenv]\n')
    writeFileSync(path.join(dir, 'flag.json'), '{"allowedOwners": ["fromflag"]}')
    env.DISPATCH_CONFIG = path.join(dir, 'env.yaml')
    expect((await loadConfig({cwd: project, env})).allowedOwners).to.deep.equal(['fromenv'])
    expect((await loadConfig({cwd: project, env, configPath: path.join(dir, 'flag.json')})).allowedOwners).to.deep.equal(['fromflag'])
  })

  it('says where it looked when there is no config at all', async () => {
    const error = await loadConfig({cwd: project, env}).catch((e) => e)
    expect(error).to.be.instanceOf(UsageError)
    expect(error.message).to.match(/No dispatch configuration/)
    expect(error.suggestion).to.include(path.join(dir, 'xdg', 'dispatch'))
  })

  it('names a missing --config file', async () => {
    const error = await loadConfig({cwd: project, env, configPath: 'nope.yaml'}).catch((e) => e)
    expect(error).to.be.instanceOf(UsageError)
    expect(error.message).to.include(path.join(project, 'nope.yaml'))
  })

  const invalid: Array<[string, string, RegExp]> = [
    ['missing allowedOwners', 'maxActive: 3\n', /allowedOwners: is required/],
    ['empty allowedOwners', 'allowedOwners: []\n', /allowedOwners: expected at least one owner/],
    ['wrong type', 'allowedOwners: [acme]\nmaxActive: "lots"\n', /maxActive: expected number, got string/],
    ['bad enum', 'allowedOwners: [acme]\nlanding: yolo\n', /landing: expected one of pr, merge, none/],
    ['bad owner name', 'allowedOwners: ["../etc"]\n', /allowedOwners\.0: expected a GitHub-style owner name/],
    ['not a mapping', '- a\n- b\n', /expected a mapping/],
    ['syntax error', 'allowedOwners: [acme\n', /could not be read/],
    ['bad repos key', 'allowedOwners: [acme]\nrepos: {"acme": "/tmp/x"}\n', /repos\.acme: expected a key of the form owner\/repo/],
    ['bad url', 'allowedOwners: [acme]\nforgejo: {baseUrl: "ftp://x"}\n', /forgejo\.baseUrl/],
    ['an unknown forge prefix', 'allowedOwners: ["gitlab:acme"]\n', /allowedOwners\.0: expected a GitHub-style owner name, bare or as github:name \/ forgejo:name/],
    ['a bad name after a prefix', 'allowedOwners: [acme, "github:x.git"]\n', /allowedOwners\.1: expected a GitHub-style owner name/],
    ['an empty name after a prefix', 'allowedOwners: ["forgejo:"]\n', /allowedOwners\.0: expected/],
    ['forgejo: without a forgejo section', 'allowedOwners: [acme, "forgejo:acme"]\n', /allowedOwners\.1: forgejo:acme names Forgejo, but no forgejo section is configured/],
  ]
  for (const [what, text, pattern] of invalid) {
    it(`rejects ${what} as a usage error naming the file and key`, async () => {
      const file = path.join(dir, 'bad.yaml')
      writeFileSync(file, text)
      const error = await loadConfig({cwd: project, env, configPath: file}).catch((e) => e)
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.include(file)
      expect(error.message).to.match(pattern)
    })
  }

  it('warns about harmless unknown keys, with the key it probably meant', async () => {
    const file = path.join(dir, 'c.yaml')
    writeFileSync(file, 'allowedOwners: [acme]\nnotes: mine\nclaude: {binn: x}\nnotify: {desktp: true}\n')
    const warnings: string[] = []
    await loadConfig({cwd: project, env, configPath: file, warn: (m) => warnings.push(m)})
    expect(warnings).to.deep.equal([
      `warning: ${file}: unknown key "notes" ignored`,
      `warning: ${file}: unknown key "claude.binn" ignored (did you mean "claude.bin"?)`,
      `warning: ${file}: unknown key "notify.desktp" ignored (did you mean "notify.desktop"?)`,
    ])
  })

  const risky: Array<[string, string, string]> = [
    ['permisionMode: plan', 'permisionMode', 'claude.permissionMode'],
    ['claude: {permissionmode: plan}', 'claude.permissionmode', 'claude.permissionMode'],
    ['maxActiv: 3', 'maxActiv', 'maxActive'],
    ['allowedOwner: [evil]', 'allowedOwner', 'allowedOwners'],
    ['claude: {maxBudgetUSD: 1}', 'claude.maxBudgetUSD', 'claude.maxBudgetUsd'],
    ['landng: none', 'landng', 'landing'],
  ]
  for (const [yaml, key, near] of risky) {
    it(`refuses a misspelt key that guards safety or behaviour: ${key}`, async () => {
      const file = path.join(dir, 'c.yaml')
      writeFileSync(file, `allowedOwners: [acme]\n${yaml}\n`)
      const error = await loadConfig({cwd: project, env, configPath: file}).catch((e) => e)
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.equal(`Config file ${file} is invalid: unknown key "${key}" (did you mean "${near}"?).`)
      expect(error.suggestion).to.match(/ \/\S+\/\.dispatchrc\.example\.$/)
    })
  }

  it('expands ~ and resolves relative paths against the config file, with XDG defaults', async () => {
    const file = path.join(dir, 'project', 'c.yaml')
    writeFileSync(file, 'allowedOwners: [acme]\nworkspace: {root: ~/src}\nrepos: {acme/API: ./checkouts/api}\nprompts: {headless: ~/p.md}\n')
    const config = await loadConfig({cwd: project, env, configPath: file})
    expect(config.workspace.root).to.equal(path.join(dir, 'home', 'src'))
    expect(config.repos['acme/api']).to.equal(path.join(dir, 'project', 'checkouts', 'api'))
    expect(config.prompts.headless).to.equal(path.join(dir, 'home', 'p.md'))
    expect(config.stateDir).to.equal(path.join(dir, 'state', 'dispatch'))
    expect(config.worktreeRoot).to.equal(path.join(dir, 'data', 'dispatch', 'worktrees'))
    expect(config.claude.allowedTools).to.include('Bash')
    expect(config.healthWindowMs).to.equal(4000)
  })

  it('derives the Forgejo API URL from baseUrl', async () => {
    const file = path.join(dir, 'c.yaml')
    writeFileSync(file, 'allowedOwners: [acme]\nforgejo: {baseUrl: "https://code.example.org/"}\n')
    const config = await loadConfig({cwd: project, env, configPath: file})
    expect(config.forgejo).to.deep.equal({baseUrl: 'https://code.example.org', apiUrl: 'https://code.example.org/api/v1', tokenEnv: 'FORGEJO_TOKEN'})
  })

  const prefixed: Array<[string, string, string[]]> = [
    ['bare and prefixed entries side by side', 'allowedOwners: [acme, "github:solo", "forgejo:team"]\nforgejo: {baseUrl: "https://code.example.org"}\n', ['acme', 'github:solo', 'forgejo:team']],
    ['github: without Forgejo configured', 'allowedOwners: ["github:acme"]\n', ['github:acme']],
    ['one owner pinned to both forges', 'allowedOwners: ["github:acme", "forgejo:acme"]\nforgejo: {baseUrl: "https://code.example.org"}\n', ['github:acme', 'forgejo:acme']],
  ]
  for (const [what, text, owners] of prefixed) {
    it(`accepts allowedOwners entries naming their forge: ${what}`, async () => {
      const file = path.join(dir, 'owners.yaml')
      writeFileSync(file, text)
      expect((await loadConfig({cwd: project, env, configPath: file})).allowedOwners).to.deep.equal(owners)
    })
  }
})

describe('.dispatchrc.example', () => {
  it('is a valid config that uses every key the schema knows, without warnings', async () => {
    const warnings: string[] = []
    const file = new URL('../../.dispatchrc.example', import.meta.url).pathname
    const config = await loadConfig({configPath: file, cwd: '/', env: {HOME: '/home/op'}, warn: (m) => warnings.push(m)})
    expect(warnings).to.deep.equal([])
    expect(config.allowedOwners).to.deep.equal(['my-org', 'my-user'])
    expect(config.repos['my-org/api']).to.equal('/home/op/work/api')
    expect(config.forgejo?.apiUrl).to.equal('https://forgejo.example.com/api/v1')
    expect(config.interactive.command).to.include('{argv}')
  })
})

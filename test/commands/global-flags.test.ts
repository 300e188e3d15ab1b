// Flags as people type them (#23 point 4), through the real binary: global
// flags before the command, -h for help on every command, --flag=true|false
// for boolean flags.
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {ROOT, makeSandbox, runCli, writeConfig, type Sandbox} from '../support/helpers.js'

const REF = 'acme/api#12'

describe('flags as people type them (through the binary)', function () {
  this.timeout(240_000)

  describe('global flags and -h', () => {
    let sb: Sandbox
    before(() => {
      sb = makeSandbox()
      writeConfig(sb, {github: {apiUrl: 'http://127.0.0.1:9/unused', webUrl: 'https://github.com'}})
    })
    after(() => sb.cleanup())
    const run = (argv: string[]) => runCli(argv.map((a) => a.replace('<config>', sb.configFile)), {env: sb.env, cwd: sb.dir, timeoutMs: 120_000})

    const same: Array<[string[], string[]]> = [
      [['--json', 'status'], ['status', '--json']],
      [['--config', '<config>', 'status', '--json'], ['status', '--json', '--config', '<config>']],
      [['--config=<config>', '--json', 'status', '--all'], ['status', '--all', '--json', '--config=<config>']],
      [['sidequests', '--json', 'list'], ['sidequests', 'list', '--json']],
      [['--json', 'sidequests', 'list', '--all'], ['sidequests', 'list', '--all', '--json']],
      [['--json', 'sidequests', '--config', '<config>', 'conflicts', 'src'], ['sidequests', 'conflicts', 'src', '--json', '--config', '<config>']],
      [['--json', 'reap', '--dry-run'], ['reap', '--dry-run', '--json']],
      [['--json', 'doctor'], ['doctor', '--json']],
    ]
    for (const [typed, canonical] of same) {
      it(`dispatch ${typed.join(' ')} answers as dispatch ${canonical.join(' ')}`, async () => {
        const [a, b] = [await run(typed), await run(canonical)]
        expect(a.stdout, a.stderr).to.match(/^[[{]/)
        expect(a).to.deep.equal(b)
      })
    }

    it('-h is --help for every command, exit 0', async () => {
      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {hidden?: boolean}>}
      const ids = Object.entries(manifest.commands).filter(([, c]) => !c.hidden).map(([id]) => id.split(':'))
      expect(ids.length).to.be.greaterThan(10)
      for (const words of [...ids, ['sidequests']]) {
        const short = await run([...words, '-h'])
        const long = await run([...words, '--help'])
        expect(short.code, `${words.join(' ')} -h: ${short.stderr}`).to.equal(0)
        expect(short.stdout, words.join(' ')).to.include('USAGE').and.to.equal(long.stdout)
      }
      // Before a ref and flags too; after -- it is claude's.
      const res = await run(['headless', '-h', 'acme/api#1', '--dry-run'])
      expect(res.code).to.equal(0)
      expect(res.stdout).to.include('$ dispatch headless REF [flags] [-- CLAUDE_ARGS...]')
    })

    it('--flag=true|false for boolean flags: the same as typing them, or not', async () => {
      for (const [typed, canonical] of [
        [['reap', '--dry-run=true', '--json'], ['reap', '--dry-run', '--json']],
        [['status', '--all=true', '--json=true'], ['status', '--all', '--json']],
        [['status', '--all=false', '--json'], ['status', '--json']],
        [['sidequests', 'list', '--all', '--all=false', '--json'], ['sidequests', 'list', '--json']],
      ]) {
        expect(await run(typed), typed.join(' ')).to.deep.equal(await run(canonical))
      }
    })

    it('--flag=VALUE that is neither true nor false: exit 2 naming the flag, JSON under --json', async () => {
      const human = await run(['reap', '--dry-run=yes'])
      expect(human.code).to.equal(2)
      expect(human.stderr).to.include('--dry-run takes true or false, got "yes".')
      expect(human.stdout).to.equal('')
      const json = await run(['status', '--all=1', '--json'])
      expect(json.code).to.equal(2)
      expect(JSON.parse(json.stdout).error).to.include({code: 'usage', exit_code: 2, message: '--all takes true or false, got "1".'})
    })
  })

  describe('dispatching commands', () => {
    const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}], env: {GH_TOKEN: 'ghp_test'}})
    const run = (argv: string[]) => runCli(argv, {env: t.env, cwd: t.sb.dir, timeoutMs: 120_000})

    it('--dry-run=true, --worktree=false, --force=false and the global flags first: the plan of the canonical form', async () => {
      const canonical = await run(['headless', REF, '--dry-run', '--no-worktree', '--json'])
      expect(canonical.code, canonical.stderr).to.equal(0)
      for (const typed of [
        ['headless', REF, '--dry-run=true', '--worktree=false', '--force=false', '--json'],
        ['--json', 'headless', '--worktree=false', REF, '--dry-run=true'],
        ['--config', t.sb.configFile, '--json=true', 'headless', REF, '--no-worktree', '--dry-run'],
      ]) {
        const res = await run(typed)
        expect(res, typed.join(' ')).to.deep.equal(canonical)
      }
    })

    it('--dry-run=maybe: exit 2 naming the flag, nothing fetched or created', async () => {
      const res = await run(['cascade', REF, '--dry-run=maybe'])
      expect(res.code).to.equal(2)
      expect(res.stderr).to.include('--dry-run takes true or false, got "maybe".')
    })
  })
})

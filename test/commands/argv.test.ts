// How people type: flags before and after positional arguments, `=` forms,
// repeats and comma lists, `--` pass-through, typos of commands. Every command,
// through the real binary.
import {expect} from 'chai'
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {processStartTime} from '../../src/lib/proc.js'
import {shellQuote} from '../../src/lib/shell.js'
import {startFakeForge} from '../support/fake-forge.mjs'
import {ROOT, STAND_IN, makeRepo, makeSandbox, runCli, waitFor, writeConfig, type CliResult, type Sandbox} from '../support/helpers.js'

type FakeForge = Awaited<ReturnType<typeof startFakeForge>>

const REF = 'acme/api#12'
/** After `--`: claude's, untouched, even where it looks like dispatch's own flags or a ref. */
const PASS = ['--claims', 'elsewhere', '--dry-run', '--json', '--model', 'haiku', 'acme/api#13', '--', '-x']

/** True when `needle` occurs in `hay` as a contiguous run. */
function containsRun(hay: readonly string[], needle: readonly string[]): boolean {
  return hay.some((_, i) => needle.every((n, j) => hay[i + j] === n))
}

/** Output without what changes between two runs: a running worker's duration. */
const steady = (stdout: string) => stdout.replace(/"duration_ms": \d+/g, '"duration_ms": 0')

/** Run bin/dev.js: the TypeScript commands through oclif, with no start-up fast path. */
function viaOclif(args: string[], opts: {env: NodeJS.ProcessEnv; cwd: string}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, path.join(ROOT, 'bin', 'dev.js'), ...args], {cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
  })
}

describe('argv: flags anywhere, -- pass-through, unknown commands (through the binary)', function () {
  this.timeout(120_000)

  describe('headless / cascade / interactive --dry-run', () => {
    let forge: FakeForge
    let sb: Sandbox
    let env: NodeJS.ProcessEnv
    const run = (args: string[], e = env) => runCli(args, {env: e, cwd: sb.dir})

    before(async () => {
      forge = await startFakeForge()
      sb = makeSandbox()
      makeRepo(sb, 'acme', 'api')
      forge.addIssue({owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.'})
      forge.addIssue({owner: 'acme', repo: 'api', number: 13, title: 'Another one'})
      writeConfig(sb, {github: forge.github})
      env = {...sb.env, GH_TOKEN: 'ghp_test'}
    })
    afterEach(() => forge.verify())
    after(async () => {
      await forge.close()
      sb.cleanup()
    })

    // Each flag group is one thing the operator says; the orders below move them around the ref.
    const common = {
      claims: ['--claims', 'src/auth,docs', '--claims=lib'],
      model: ['--model', 'opus'],
      mode: ['--permission-mode', 'plan'],
      tools: ['--allowed-tools', 'Read', '--allowed-tools=Grep,Bash'],
      budget: ['--max-budget-usd=2.5'],
      out: ['--dry-run', '--json'],
    }
    const commands: Array<{cmd: string; own: Record<string, string[]>; check: (j: any) => void}> = [
      {cmd: 'headless', own: {}, check: (j) => expect(j).to.include({mode: 'headless', cascade_depth: 0})},
      {cmd: 'cascade', own: {depth: ['--depth', '2']}, check: (j) => expect(j).to.include({mode: 'cascade', cascade_depth: 2})},
      {cmd: 'interactive', own: {posture: ['--posture=consult'], surface: ['--surface', 'print']}, check: (j) => expect(j).to.include({mode: 'interactive', surface: 'print'})},
    ]
    const orders: Array<[string, (groups: string[][]) => string[]]> = [
      ['every flag after the ref', (g) => [REF, ...g.flat()]],
      ['every flag before the ref', (g) => [...g.flat(), REF]],
      ['flags on both sides', (g) => [...g.filter((_, i) => i % 2 === 0).flat(), REF, ...g.filter((_, i) => i % 2 === 1).flat()]],
      ['a list flag right before the ref', (g) => [...[...g].reverse().flat(), REF]],
    ]

    for (const {cmd, own, check} of commands) {
      describe(cmd, () => {
        let reference: any
        before(async () => {
          const res = await run([cmd, REF, ...Object.values({...common, ...own}).flat(), '--', ...PASS])
          expect(res.code, res.stderr).to.equal(0)
          reference = JSON.parse(res.stdout)
          // claude enforces a budget only in print mode: an interactive session says so instead of passing it.
          expect(res.stderr).to.include("warning: --model haiku after -- (or in claude.extraArgs) overrides dispatch's --model opus: claude runs with haiku")
          if (cmd === 'interactive') expect(res.stderr).to.include('warning: --max-budget-usd does not apply to an interactive session')
          else expect(res.stderr).not.to.include('--max-budget-usd')
        })

        it('takes every flag: repeated and comma-separated lists, = forms, and -- untouched', () => {
          check(reference)
          expect(reference.ref).to.equal(REF)
          expect(reference.claims).to.have.length(3)
          const args: string[] = reference.claude.args
          expect(containsRun(args, ['--permission-mode', 'plan'])).to.equal(true)
          expect(containsRun(args, ['--allowedTools', 'Read,Grep,Bash'])).to.equal(true)
          // --model haiku after -- overrides --model opus: claude gets the later one only, and a warning names both.
          expect(containsRun(args, ['--model', 'opus'])).to.equal(false)
          expect(args.filter((a) => a === '--model')).to.have.length(1)
          expect(containsRun(args, ['--max-budget-usd', '2.5'])).to.equal(cmd !== 'interactive')
          expect(containsRun(args, PASS), JSON.stringify(args)).to.equal(true)
        })

        for (const [order, arrange] of orders) {
          it(`${order}: the same plan`, async () => {
            const argv = [cmd, ...arrange(Object.values({...common, ...own})), '--', ...PASS]
            const res = await run(argv)
            expect(res.code, `${argv.join(' ')}\n${res.stderr}`).to.equal(0)
            expect(JSON.parse(res.stdout)).to.deep.equal(reference)
          })
        }

        it('--json after -- is claude\'s: the output stays human', async () => {
          const res = await run([cmd, '--dry-run', REF, '--', '--json'])
          expect(res.code, res.stderr).to.equal(0)
          expect(res.stdout).to.match(/^Issue: +acme\/api#12 /m)
        })
      })
    }

    const refusals: Array<[string, string[], RegExp]> = [
      ['a ref after -- is not the ref', ['headless', '--dry-run', '--', REF], /Missing 1 required arg: ref/],
      ['a stray word before the ref', ['headless', 'oops', '--dry-run', REF], /"oops" is not an issue reference[\s\S]*Put arguments meant for claude after --/],
      ['a claude flag before --', ['headless', '--max-turns', '3', REF, '--dry-run'], /Nonexistent flag: --max-turns[\s\S]*after --/],
      ['an unknown permission mode, after the ref', ['headless', REF, '--dry-run', '--permission-mode', 'yolo'], /--permission-mode=yolo to be one of: acceptEdits, auto, bypassPermissions, default, dontAsk, manual, plan/],
      ['an unknown permission mode, before the ref', ['interactive', '--permission-mode=Plan', REF, '--dry-run'], /one of: acceptEdits, auto,/],
    ]
    for (const [what, argv, message] of refusals) {
      it(`exit 2: ${what}`, async () => {
        const res = await run(argv)
        expect(res.code, res.stderr).to.equal(2)
        expect(res.stderr).to.match(message)
        expect(readdirSync(sb.dir)).not.to.include('worktrees')
      })
    }

    it('exit 2 for claude.permissionMode outside Claude Code\'s modes, naming the key and the modes', async () => {
      const file = path.join(sb.dir, 'bad-mode.json')
      writeFileSync(file, JSON.stringify({allowedOwners: ['acme'], claude: {permissionMode: 'yolo'}}))
      const res = await run(['headless', REF, '--dry-run', '--json'], {...env, DISPATCH_CONFIG: file})
      expect(res.code).to.equal(2)
      expect(JSON.parse(res.stdout).error.message).to.match(/claude\.permissionMode: expected one of acceptEdits, auto, bypassPermissions, default, dontAsk, manual, plan, got "yolo"/)
    })

    it('help shows the ref and the pass-through, not REF...', async () => {
      for (const cmd of ['headless', 'cascade', 'interactive']) {
        const res = await run([cmd, '--help'])
        expect(res.stdout).to.include(`$ dispatch ${cmd} REF [flags] [-- CLAUDE_ARGS...]`)
        // headless and cascade take several refs (a fan-out); interactive one.
        if (cmd === 'interactive') expect(res.stdout).not.to.include('REF...')
        else expect(res.stdout).to.match(new RegExp(`\\$ dispatch ${cmd} --label LABEL\\s+--repo OWNER/REPO\\s+\\[--limit N\\]`))
      }
    })
  })

  describe('status, attach, sidequests', () => {
    let sb: Sandbox
    let worker: ChildProcess
    let ended: Record<string, unknown>

    function writeRecord(record: Record<string, unknown>): void {
      const dir = path.join(sb.stateDir, 'sidequests')
      mkdirSync(dir, {recursive: true, mode: 0o700})
      writeFileSync(path.join(dir, `${record.pid}.json`), JSON.stringify(record), {mode: 0o600})
    }
    function record(pid: number, n: number, extra: Record<string, unknown>): Record<string, unknown> {
      return {
        schema_version: 1, pid, pid_start_time: processStartTime(pid) ?? null, mode: 'headless', ref: `acme/api#${n}`, forge: 'github',
        url: `https://github.com/acme/api/issues/${n}`, title: `Task ${n}`, started_at: new Date().toISOString(), parent_session: null,
        paths_claimed: [], cwd: sb.dir, branch: `dispatch/issue-${n}`, log_path: null, cascade_depth: 0, claude_session_id: null, ...extra,
      }
    }

    before(async () => {
      sb = makeSandbox()
      writeConfig(sb, {github: {apiUrl: 'http://127.0.0.1:9/unused', webUrl: 'https://github.com'}})
      // A real live process stands for an active worker claiming repo/src.
      worker = spawn('sleep', ['120'], {stdio: 'ignore'})
      await waitFor('sleeper', () => processStartTime(worker.pid!))
      mkdirSync(path.join(sb.dir, 'repo', 'src', 'auth'), {recursive: true})
      writeRecord(record(worker.pid!, 7, {paths_claimed: [path.join(sb.dir, 'repo', 'src')]}))
      // Its own worktree: attach refuses to resume beside a live worker in the same one.
      mkdirSync(path.join(sb.dir, 'wt-9'))
      ended = record(999_009, 9, {cwd: path.join(sb.dir, 'wt-9'), started_at: '2020-01-01T00:00:00.000Z', ended_at: '2020-01-01T00:10:00.000Z', exit_code: 0, claude_session_id: 'session-9'})
      writeRecord(ended)
    })
    after(() => {
      worker.kill('SIGKILL')
      sb.cleanup()
    })

    const same: Array<[string, string[][]]> = [
      ['sidequests conflicts', [
        ['sidequests', 'conflicts', 'repo/src/auth', '--json'],
        ['sidequests', 'conflicts', '--json', 'repo/src/auth'],
        ['sidequests', 'conflicts', '--config', '<config>', 'repo/src/auth', '--json'],
        ['sidequests', 'conflicts', '--json', '--config=<config>', 'repo/src/auth'],
      ]],
      ['sidequests conflicts with several paths', [
        ['sidequests', 'conflicts', 'repo/src/auth', 'elsewhere', '--json'],
        ['sidequests', 'conflicts', 'repo/src/auth', '--json', 'elsewhere'],
        ['sidequests', 'conflicts', '--json', 'repo/src/auth', 'elsewhere'],
      ]],
      ['sidequests list', [
        ['sidequests', 'list', '--all', '--json'],
        ['sidequests', 'list', '--json', '--all'],
        ['sidequests', 'list', '--config=<config>', '--json', '--all'],
      ]],
      ['sidequests prune', [
        ['sidequests', 'prune', '--dry-run', '--older-than', '1d', '--json'],
        ['sidequests', 'prune', '--json', '--older-than=1d', '--dry-run'],
      ]],
      ['status by ref', [
        ['status', 'acme/api#9', '--tail', '0', '--json'],
        ['status', '--tail', '0', 'acme/api#9', '--json'],
        ['status', '--json', '--tail=0', 'acme/api#9'],
      ]],
      ['status by pid', [
        ['status', '--pid', '999009', '--json', '--tail', '0'],
        ['status', '--json', '--pid=999009', '--tail=0'],
      ]],
      ['status list', [
        ['status', '--all', '--json'],
        ['status', '--json', '--since', '1h', '--all'],
      ]],
      ['reap', [
        ['reap', '--dry-run', '--json'],
        ['reap', '--json', '--dry-run'],
      ]],
    ]
    for (const [what, variants] of same) {
      it(`${what}: every order answers alike, with and without the fast path`, async () => {
        const results: Array<{argv: string; code: number; stdout: string}> = []
        for (const variant of variants) {
          const argv = variant.map((a) => a.replace('<config>', sb.configFile))
          const fast = await runCli(argv, {env: sb.env, cwd: sb.dir})
          results.push({argv: argv.join(' '), code: fast.code, stdout: steady(fast.stdout)})
          if (argv[0] === 'sidequests' && argv[1] !== 'prune') {
            const slow = await viaOclif(argv, {env: sb.env, cwd: sb.dir})
            results.push({argv: `(oclif) ${argv.join(' ')}`, code: slow.code, stdout: steady(slow.stdout)})
          }
        }
        expect(results[0].code, results[0].stdout).to.be.oneOf([0, 1])
        if (what !== 'reap') expect(JSON.parse(results[0].stdout)).not.to.deep.equal([])
        for (const r of results.slice(1)) expect({code: r.code, stdout: r.stdout}, r.argv).to.deep.equal({code: results[0].code, stdout: results[0].stdout})
      })
    }

    for (const argv of [
      ['attach', 'acme/api#9', '--claude-bin', STAND_IN],
      ['attach', '--claude-bin', STAND_IN, 'acme/api#9'],
      ['attach', `--claude-bin=${STAND_IN}`, 'acme/api#9', '--json'],
      ['attach', '--json', '--pid=999009', '--claude-bin', STAND_IN],
    ]) {
      it(`attach: ${argv.slice(1).map((a) => (a === STAND_IN || a.endsWith(STAND_IN) ? a.replace(STAND_IN, '<stand-in>') : a)).join(' ')}`, async () => {
        // attach needs a terminal: `script` gives it a real pseudo-terminal.
        const line = [process.execPath, path.join(ROOT, 'bin', 'run.js'), ...argv].map(shellQuote).join(' ')
        const res = await runCli(['-qec', line, '/dev/null'], {env: sb.env, cwd: sb.dir, bin: 'script'})
        expect(res.code, res.stdout + res.stderr).to.equal(0)
        expect(res.stdout).to.include('stand-in resumed session session-9')
        if (argv.includes('--json') || argv.some((a) => a.startsWith('--json'))) expect(res.stdout).to.include('"claude_session_id": "session-9"')
      })
    }
  })

  describe('unknown commands', () => {
    let sb: Sandbox
    before(() => {
      sb = makeSandbox()
    })
    after(() => sb.cleanup())

    const cases: Array<[string[], number, RegExp]> = [
      [['stauts', 'acme/api#1'], 127, /"stauts" is not a dispatch command\.\nDid you mean: dispatch status\?/],
      [['stauts'], 127, /"stauts" is not a dispatch command\.\nDid you mean: dispatch status\?/],
      [['hedless', 'acme/api#1', '--claims', 'src'], 127, /"hedless" is not a dispatch command\.\nDid you mean: dispatch headless\?/],
      [['hedless', 'https://github.com/acme/api/issues/1'], 127, /"hedless" is not a dispatch command[\s\S]*dispatch headless\?/],
      [['sidequests', 'lsit'], 127, /"sidequests lsit" is not a dispatch command\.\nDid you mean: dispatch sidequests list\?/],
      [['conflicts', 'src/a'], 127, /Did you mean: dispatch sidequests conflicts\?/],
      [['xyzzy'], 127, /"xyzzy" is not a dispatch command\.\nSee the commands: dispatch help/],
      // A bare ref stays the usage error that names the modes.
      [['acme/api#1'], 2, /"acme\/api#1" needs a mode[\s\S]*dispatch headless acme\/api#1 \| dispatch cascade acme\/api#1 \| dispatch interactive acme\/api#1/],
      [['acme/api#1', '--claims', 'src'], 2, /needs a mode/],
      [['https://github.com/acme/api/issues/1'], 2, /needs a mode/],
    ]
    for (const [argv, code, message] of cases) {
      it(`dispatch ${argv.join(' ')} → exit ${code}`, async () => {
        const res = await runCli(argv, {env: sb.env, cwd: sb.dir})
        expect(res.code, res.stderr).to.equal(code)
        expect(res.stderr).to.match(message)
        expect(res.stdout).to.equal('')
      })
    }

    it('--json: the error is one JSON document on stdout, even with --json first', async () => {
      for (const [argv, code, kind] of [
        [['stauts', 'acme/api#1', '--json'], 127, 'unknown_command'],
        [['--json', 'acme/api#1'], 2, 'usage'],
        [['acme/api#1', '--json'], 2, 'usage'],
      ] as Array<[string[], number, string]>) {
        const res = await runCli(argv, {env: sb.env, cwd: sb.dir})
        expect(res.code, argv.join(' ')).to.equal(code)
        expect(JSON.parse(res.stdout).error).to.include({code: kind, exit_code: code})
        expect(res.stderr).to.equal('')
      }
    })

    it('never prompts on a terminal: answers at once and runs nothing', async function () {
      // `script` gives the command a real pseudo-terminal; plugin-not-found would prompt there and wait.
      const res = await new Promise<CliResult>((resolve) => {
        const child = spawn('script', ['-qec', `${process.execPath} ${path.join(ROOT, 'bin', 'run.js')} hedless acme/api#1`, '/dev/null'], {env: sb.env, cwd: sb.dir, stdio: ['pipe', 'pipe', 'pipe']})
        let stdout = ''
        child.stdout.on('data', (d) => (stdout += d))
        child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr: ''}))
      })
      expect(res.stdout).to.match(/"hedless" is not a dispatch command\.\r?\nDid you mean: dispatch headless\?/)
      expect(res.stdout).not.to.match(/\(Y\/n\)/)
      expect(res.code).to.equal(127)
    })

    it('a command\'s own flag typed before the command: says to put the command first', async () => {
      // Global flags (--json, --config) may come first (test/commands/global-flags.test.ts); a command's own may not.
      const res = await runCli(['--all', 'status', '--json'], {env: sb.env, cwd: sb.dir})
      expect(res.code).to.equal(127)
      expect(JSON.parse(res.stdout).error.suggestion).to.equal('Put the command first: dispatch status --all --json')
    })
  })
})

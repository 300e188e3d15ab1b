import {expect} from 'chai'
import {execFile, execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {processStartTime} from '../../src/lib/proc.js'
import {BIN, ROOT, runCli, waitFor, writeConfig, type Sandbox} from '../support/helpers.js'
import {useSandbox} from '../support/forge-sandbox.js'

const run = promisify(execFile)
const FORGE = {github: {apiUrl: 'http://127.0.0.1:9/unused', webUrl: 'https://github.com'}}
const DAY = 24 * 60 * 60 * 1000
/** Makes any import of @oclif/* fail: what still works under it never loaded oclif. */
const REFUSE_OCLIF = `--import=${pathToFileURL(path.join(ROOT, 'test', 'fixtures', 'refuse-oclif.mjs')).href}`

function writeRecord(sb: Sandbox, pid: number, ref: string, startedAgoMs: number, extra: Record<string, unknown> = {}): void {
  const dir = path.join(sb.stateDir, 'sidequests')
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const startedAt = new Date(Date.now() - startedAgoMs).toISOString()
  const record = {
    schema_version: 2,
    pid,
    pid_start_time: processStartTime(pid) ?? null,
    mode: 'headless',
    ref,
    forge: 'github',
    url: `https://github.com/${ref.replace('#', '/issues/')}`,
    title: `Task ${pid}`,
    started_at: startedAt,
    parent_session: null,
    paths_claimed: [],
    cwd: '/nonexistent/wt',
    branch: `dispatch/issue-${pid}`,
    log_path: null,
    cascade_depth: 0,
    claude_session_id: null,
    ended_at: startedAt,
    exit_code: 0,
    ...extra,
  }
  writeFileSync(path.join(dir, `${pid}.json`), JSON.stringify(record), {mode: 0o600})
}

/** `dispatch` on PATH, as an installed one would be: the completion scripts call it by name. */
function putOnPath(sb: Sandbox): NodeJS.ProcessEnv {
  const bin = path.join(sb.dir, 'bin')
  mkdirSync(bin, {recursive: true})
  symlinkSync(BIN, path.join(bin, 'dispatch'))
  return {...sb.env, PATH: `${bin}${path.delimiter}${sb.env.PATH}`}
}

describe('shell completion of issue refs (through the binary)', function () {
  this.timeout(60_000)
  const t = useSandbox((sb) => writeConfig(sb, FORGE))
  let {sb, procs} = t
  beforeEach(() => ({sb, procs} = t))

  /** Records of every kind: a live worker started long ago, recent ended ones (one issue twice), an old ended one, a forged ref. */
  async function recordWorkers(): Promise<void> {
    const live = spawn('sleep', ['60'], {stdio: 'ignore'})
    procs.push(live)
    await waitFor('the live worker', () => processStartTime(live.pid!))
    writeRecord(sb, live.pid!, 'acme/api#40', 30 * DAY, {ended_at: null, exit_code: null})
    writeRecord(sb, 900_001, 'acme/api#7', 60_000)
    writeRecord(sb, 900_002, 'acme/web#3', 2 * DAY)
    writeRecord(sb, 900_003, 'Acme/API#7', 3 * DAY)
    writeRecord(sb, 900_004, 'acme/old#1', 8 * DAY)
    writeRecord(sb, 900_005, 'acme/x#$(touch pwned)', 60_000)
  }

  it('autocomplete refs: active and recent refs, newest first, each once, without loading oclif', async () => {
    await recordWorkers()
    const env = {...sb.env, NODE_OPTIONS: REFUSE_OCLIF}
    const res = await runCli(['autocomplete', 'refs'], {env})
    expect({code: res.code, stderr: res.stderr}).to.deep.equal({code: 0, stderr: ''})
    expect(res.stdout).to.equal('acme/api#7\nacme/web#3\nacme/api#40\n')
    const json = await runCli(['autocomplete', 'refs', '--json', '--config', sb.configFile], {env})
    expect(JSON.parse(json.stdout)).to.deep.equal(['acme/api#7', 'acme/web#3', 'acme/api#40'])
    // The guard works: a command that loads oclif fails under it.
    expect((await runCli(['sidequests', 'prune', '--dry-run'], {env})).code).to.not.equal(0)
    // Through oclif (bin/dev.js, no fast path) the answer is the same.
    const slow = await run(process.execPath, ['--import', 'tsx', '--disable-warning=ExperimentalWarning', path.join(ROOT, 'bin', 'dev.js'), 'autocomplete', 'refs'], {env: sb.env, cwd: ROOT})
    expect(slow.stdout).to.equal(res.stdout)
  })

  it('autocomplete refs prints nothing and exits 0 with no records, no config or a broken config', async () => {
    const none = await runCli(['autocomplete', 'refs'], {env: sb.env})
    expect(none).to.deep.equal({code: 0, stdout: '', stderr: ''})
    const {DISPATCH_CONFIG: _, ...noConfig} = sb.env
    expect(await runCli(['autocomplete', 'refs'], {env: noConfig, cwd: sb.dir})).to.deep.equal({code: 0, stdout: '', stderr: ''})
    writeFileSync(sb.configFile, '{"allowedOwners": 42, "stateDir": ')
    expect(await runCli(['autocomplete', 'refs'], {env: sb.env})).to.deep.equal({code: 0, stdout: '', stderr: ''})
  })

  it('autocomplete --json says how to set up each shell, and the script it names exists', async () => {
    const env = {...sb.env, SHELL: '/bin/zsh'}
    for (const [args, shell] of [[['bash'], 'bash'], [[], 'zsh'], [['powershell'], 'powershell']] as const) {
      const res = await runCli(['autocomplete', ...args, '--json'], {env})
      expect(res.code, res.stderr).to.equal(0)
      const doc = JSON.parse(res.stdout)
      expect(Object.keys(doc).sort()).to.deep.equal(['completes_refs', 'function_path', 'rc_file', 'script_path', 'setup', 'shell'])
      expect(doc.shell).to.equal(shell)
      expect(doc.completes_refs).to.equal(shell !== 'powershell')
      expect(doc.rc_file).to.equal({bash: '~/.bashrc', zsh: '~/.zshrc', powershell: '$PROFILE'}[shell])
      expect(doc.script_path.startsWith(path.join(sb.dir, 'xdg-cache', 'dispatch', 'autocomplete'))).to.equal(true)
      expect(existsSync(doc.script_path) && existsSync(doc.function_path), doc.script_path).to.equal(true)
      expect(doc.setup).to.include(doc.script_path)
      // `autocomplete script` prints the same line, alone, for the rc file.
      const script = await runCli(['autocomplete', 'script', shell], {env})
      expect(script.stdout).to.equal(doc.setup + '\n')
    }
    const human = await runCli(['autocomplete', 'bash'], {env})
    expect(human.code).to.equal(0)
    expect(human.stdout).to.include('~/.bashrc').and.include('DISPATCH_AC_BASH_SETUP_PATH=')
    const unknown = await runCli(['autocomplete', '--json'], {env: {...sb.env, SHELL: '/usr/bin/fish'}})
    expect(unknown.code).to.equal(2)
    expect(JSON.parse(unknown.stdout).error.message).to.match(/which shell/)
  })

  it('every command but help takes --json', async () => {
    const {stdout} = await run(process.execPath, ['--input-type=module', '-e', `
      const {Config} = await import('@oclif/core')
      const config = await Config.load(${JSON.stringify(ROOT)})
      console.log(JSON.stringify(config.commands.filter((c) => !c.flags.json).map((c) => c.id)))`], {cwd: ROOT})
    expect(JSON.parse(stdout)).to.deep.equal(['help'])
  })

  it('bash: refs where a command takes one; commands and flags as before', async () => {
    await recordWorkers()
    const env = putOnPath(sb)
    // As the instructions say: build the scripts, then the rc line, in a shell that read no
    // rc file; then complete as readline would.
    const script = `
      dispatch autocomplete bash >/dev/null 2>&1
      eval "$(dispatch autocomplete script bash)"
      fn=$(complete -p dispatch | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')
      t() {
        COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}; COMPREPLY=()
        "$fn" dispatch "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\\n' "$*|\${COMPREPLY[*]}"
      }
      t dispatch status ''
      t dispatch attach acme/w
      t dispatch stop --timeout 3 ''
      t dispatch interactive --surface = tmux ''
      t dispatch cascade --json ''
      t dispatch status --since ''
      t dispatch status acme/api#7 ''
      t dispatch sta
      t dispatch status --
      t dispatch sidequests l
      t dispatch doctor ''
    `
    const {stdout} = await run('bash', ['--norc', '--noprofile', '-c', script], {env, cwd: sb.dir})
    const offered = Object.fromEntries(stdout.trim().split('\n').map((l) => l.split('|') as [string, string]))
    const refs = 'acme/api#7 acme/web#3 acme/api#40'
    expect(offered).to.deep.equal({
      'dispatch status ': refs,
      'dispatch attach acme/w': 'acme/web#3',
      'dispatch stop --timeout 3 ': refs,
      'dispatch interactive --surface = tmux ': refs,
      'dispatch cascade --json ': refs,
      // A flag's value and a second argument are no place for a ref.
      'dispatch status --since ': '',
      'dispatch status acme/api#7 ': '',
      'dispatch sta': 'status',
      'dispatch status --': '--json --config --pid --since --all --tail --follow --outcome',
      'dispatch sidequests l': 'list',
      'dispatch doctor ': '',
    })
    expect(existsSync(path.join(sb.dir, 'pwned'))).to.equal(false)
  })

  it('zsh: refs where a command takes one, quoted for the command line; commands and flags as before', async function () {
    try {
      execFileSync('zsh', ['-fc', 'zmodload zsh/zpty'], {stdio: 'ignore'})
    } catch {
      // .ci/run installs zsh; a machine without it skips this one test and says why.
      console.log('      (skipping: zsh with zsh/zpty is not installed; .ci/run installs it)')
      this.skip()
    }
    await recordWorkers()
    const env = {...putOnPath(sb), ZDOTDIR: sb.home}
    expect((await runCli(['autocomplete', 'zsh'], {env})).code).to.equal(0)
    const out = path.join(sb.dir, 'zsh-completions.txt')
    const buffers = ['dispatch status ', 'dispatch attach acme/w', 'dispatch stop --config=' + sb.configFile + ' ', 'dispatch status --since ', 'dispatch sta', 'dispatch status --']
    await run('zsh', ['-f', path.join(ROOT, 'test', 'support', 'zsh-complete.zsh'), out, ...buffers], {env, cwd: sb.dir, timeout: 170_000})
    const offered: Record<string, {matches: string[]; line: string}> = {}
    let current = ''
    for (const l of readFileSync(out, 'utf8').split('\n')) {
      if (l.startsWith('buffer:')) offered[(current = l.slice(7))] = {matches: [], line: ''}
      else if (l.startsWith('match:') && !offered[current].matches.includes(l.slice(6))) offered[current].matches.push(l.slice(6))
      else if (l.startsWith('line:')) offered[current].line = l.slice(5)
    }
    const refs = ['acme/api#7', 'acme/web#3', 'acme/api#40']
    expect(offered['dispatch status '].matches).to.deep.equal(refs)
    expect(offered['dispatch stop --config=' + sb.configFile + ' '].matches).to.deep.equal(refs)
    // `#` is a glob character under EXTENDED_GLOB: what completion inserts is quoted.
    expect(offered['dispatch attach acme/w']).to.deep.equal({matches: ['acme/web#3'], line: 'dispatch attach acme/web\\#3 '})
    expect(offered['dispatch status --since '].matches).to.not.include.members(refs)
    expect(offered['dispatch sta'].matches).to.deep.equal(['status'])
    expect(offered['dispatch status --'].matches).to.include.members(['--json', '--config', '--pid', '--since', '--all', '--tail', '--follow'])
    expect(existsSync(path.join(sb.dir, 'pwned'))).to.equal(false)
  })
})

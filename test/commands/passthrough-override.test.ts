// A claude argument after `--` that contradicts a setting dispatch passes
// (#23 point 4): one warning naming both values, and the later one is the one
// claude gets, the dry run shows and the record stores. Claude Code itself
// takes an option's last occurrence (2.1.328: `--model a --model b` asks for b);
// dispatch leaves its own out, so claude sees one value.
import {expect} from 'chai'
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {useForgeSandbox} from '../support/forge-sandbox.js'
import {runCli, waitFor} from '../support/helpers.js'
import {records, standIns} from '../support/state.js'

const REF = 'acme/api#12'
const count = (hay: readonly string[], needle: string) => hay.filter((a) => a === needle || a.startsWith(needle + '=')).length

describe('claude arguments after -- that override dispatch settings (through the binary)', function () {
  this.timeout(240_000)
  // The config passes permissionMode acceptEdits (writeConfig).
  const t = useForgeSandbox({repos: ['acme/api'], issues: [{owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug'}], env: {GH_TOKEN: 'ghp_test'}})
  const run = (argv: string[]) => runCli(argv, {env: t.env, cwd: t.sb.dir, timeoutMs: 120_000})

  for (const cmd of ['headless', 'cascade', 'interactive']) {
    it(`${cmd} --dry-run -- --permission-mode plan: one warning naming both, the plan shows plan only`, async () => {
      const res = await run([cmd, REF, '--dry-run', '--json', '--', '--permission-mode', 'plan'])
      expect(res.code, res.stderr).to.equal(0)
      const warnings = res.stderr.split('\n').filter((l) => l.startsWith('warning:') && l.includes('--permission-mode'))
      expect(warnings).to.deep.equal(["warning: --permission-mode plan after -- (or in claude.extraArgs) overrides dispatch's --permission-mode acceptEdits: claude runs with plan"])
      const args: string[] = JSON.parse(res.stdout).claude.args
      expect(count(args, '--permission-mode'), JSON.stringify(args)).to.equal(1)
      expect(args.slice(args.indexOf('--permission-mode'))).to.deep.equal(['--permission-mode', 'plan'])
    })
  }

  it('the same value again, or an option dispatch does not pass: no warning, one occurrence', async () => {
    const res = await run(['headless', REF, '--dry-run', '--json', '--model', 'opus', '--', '--model=opus', '--max-turns', '3'])
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).not.to.include('warning:')
    const args: string[] = JSON.parse(res.stdout).claude.args
    expect(count(args, '--model')).to.equal(1)
    expect(args.slice(-3)).to.deep.equal(['--model=opus', '--max-turns', '3'])
  })

  it('a real dispatch: claude gets the later value, the record stores that argv, --json warnings name both', async () => {
    const res = await run(['headless', REF, '--model', 'opus', '--max-budget-usd', '2', '--json', '--', '--model=haiku', '--max-budget-usd', '5'])
    expect(res.code, res.stderr).to.equal(0)
    const out = JSON.parse(res.stdout)
    expect(out.warnings.filter((w: {type: string}) => w.type === 'claude_override').map((w: Record<string, string>) => [w.option, w.dispatch, w.claude])).to.deep.equal([
      ['--model', 'opus', 'haiku'],
      ['--max-budget-usd', '2', '5'],
    ])
    expect(res.stderr.split('\n').filter((l) => l.startsWith('warning:'))).to.have.length(2)
    const stored = records(t.sb).find((r) => r.ref === REF)!
    const started = await waitFor('the stand-in claude', () => standIns(t.sb).find((s) => s.pid === stored.pid || s.cwd === stored.cwd), 120_000)
    expect(started.argv).to.deep.equal(stored.claude_args)
    expect(out.claude_args).to.deep.equal(stored.claude_args)
    expect(count(started.argv, '--model')).to.equal(1)
    expect(started.argv).to.include('--model=haiku').and.not.to.include('opus')
    expect(started.argv.slice(started.argv.indexOf('--max-budget-usd'), started.argv.indexOf('--max-budget-usd') + 2)).to.deep.equal(['--max-budget-usd', '5'])
    expect(count(started.argv, '--max-budget-usd')).to.equal(1)
  })

  it('-- --output-format json on a headless worker: exit 2, nothing made', async () => {
    const res = await run(['headless', REF, '--', '--output-format', 'json'])
    expect(res.code, res.stderr).to.equal(2)
    expect(res.stderr).to.include('--output-format json after -- would change the output dispatch reads')
    expect(existsSync(t.sb.worktreeRoot) ? readdirSync(path.join(t.sb.worktreeRoot)) : []).to.deep.equal([])
    expect(records(t.sb)).to.deep.equal([])
  })
})

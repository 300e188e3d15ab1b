// The start-up fast path for headless, cascade and interactive (src/fast-dispatch.ts)
// and oclif answer every argv with the same bytes: stdout, stderr and exit code.
// Each row runs the real binary twice, once with DISPATCH_FAST_PATH=0 (oclif);
// the row also says which path the default run takes, checked against the fast
// parser, so the table keeps exercising the fast path.
import {expect} from 'chai'

import {hoistGlobalFlags} from '../../src/cli/argv.js'
import {parseDispatchArgv} from '../../src/cli/fast-parse.js'
import type {DispatchCommandId} from '../../src/cli/flag-table.js'
import {useForgeSandbox} from '../support/forge-sandbox.js'
import {runCli, waitFor} from '../support/helpers.js'
import {auditLines, records} from '../support/state.js'

const REF = 'acme/api#12'
const REF2 = 'acme/api#13'

/** argv (`<config>` stands for the config file), and the path the default run takes. */
const table: Array<[string[], 'fast' | 'oclif']> = [
  [['headless', REF, '--dry-run'], 'fast'],
  [['headless', '--dry-run', REF, '--json'], 'fast'],
  [['headless', REF, '--dry-run=true', '--claims', 'src,docs', '--claims=lib', '--model=opus', '--permission-mode', 'plan'], 'fast'],
  [['headless', '--allowed-tools', 'Read', REF, '--allowed-tools=Grep', '--dry-run', '--no-worktree', '--', '--max-turns', '3', '--json'], 'fast'],
  [['headless', REF, '--dry-run', '--worktree', '--no-worktree', '--worktree=true', '--force=false', '--setup=false'], 'fast'],
  [['headless', REF, '--json', '--dry-run', '--json', '--dry-run'], 'fast'],
  [['headless', REF, REF2, '--dry-run', '--json'], 'fast'],
  [['headless', REF2, '--dry-run', REF], 'fast'],
  [['cascade', REF, '--dry-run', '--depth', '2', '--runner=local'], 'fast'],
  [['interactive', '--surface', 'print', REF, '--dry-run', '--posture=consult'], 'fast'],
  [['interactive', REF, '--dry-run', '--max-budget-usd', '2', '--json'], 'fast'],
  // Global flags typed first.
  [['--json', 'headless', REF, '--dry-run'], 'fast'],
  [['--config', '<config>', 'cascade', '--dry-run', REF], 'fast'],
  [['--config=<config>', '--json', 'interactive', REF, '--dry-run', '--surface=print'], 'fast'],
  // Errors the command code finds: both paths report them alike.
  [['headless', 'acme/api#x', '--dry-run'], 'fast'],
  [['headless', 'acme/api#x', '--dry-run', '--json'], 'fast'],
  [['headless', 'evil/api#1', '--dry-run'], 'fast'],
  [['interactive', 'evil/api#1', '--dry-run', '--json'], 'fast'],
  [['headless', REF, '--dry-run', '--max-budget-usd', 'lots'], 'fast'],
  [['headless', REF, 'oops', '--dry-run'], 'fast'],
  [['headless', REF, '--dry-run', '--config', '/nonexistent/dispatch.yaml'], 'fast'],
  // What the fast path does not take on: oclif answers, whichever path was asked for.
  [['headless', REF, '--dry-run', '--permission-mode', 'yolo'], 'oclif'],
  [['cascade', '--depth=9', REF, '--dry-run'], 'oclif'],
  [['headless', REF, '--dry-run', '--model', 'a', '--model', 'b'], 'oclif'],
  [['headless', REF, '--dry-run=maybe'], 'oclif'],
  [['headless', REF, '--dry-run', '--max-turns', '3'], 'oclif'],
  [['headless', '--dry-run'], 'oclif'],
  [['interactive', REF, REF2, '--dry-run'], 'oclif'],
  [['interactive', '--dry-run', '--', REF], 'oclif'],
  [['headless', REF, '--claims'], 'oclif'],
  [['headless', REF, '--claims', '--dry-run'], 'oclif'],
  [['headless', REF, '--dry-run', '-h'], 'oclif'],
]

describe('start-up fast path for the dispatching commands: the same bytes as oclif (through the binary)', function () {
  this.timeout(240_000)
  const t = useForgeSandbox({
    repos: ['acme/api'],
    issues: [
      {owner: 'acme', repo: 'api', number: 12, title: 'Fix the login bug', body: 'It breaks.'},
      {owner: 'acme', repo: 'api', number: 13, title: 'Another one'},
    ],
    // A token, so the once-a-day "no GitHub token" warning does not tell the first run from the second.
    env: {GH_TOKEN: 'ghp_test'},
  })

  for (const [argv, path] of table) {
    it(`${argv.join(' ')} → ${path}`, async () => {
      const {sb, env} = t
      const args = argv.map((a) => a.replace('<config>', sb.configFile))
      const hoisted = hoistGlobalFlags(args)
      expect(parseDispatchArgv(hoisted[0] as DispatchCommandId, hoisted.slice(1)) === undefined ? 'oclif' : 'fast').to.equal(path)
      const fast = await runCli(args, {env, cwd: sb.dir, timeoutMs: 120_000})
      const oclif = await runCli(args, {env: {...env, DISPATCH_FAST_PATH: '0'}, cwd: sb.dir, timeoutMs: 120_000})
      expect(fast, 'fast path vs oclif').to.deep.equal(oclif)
      if (path === 'fast' && argv.includes('--dry-run') && !argv.some((a) => a.includes('#x') || a.startsWith('evil') || a === 'lots' || a === 'oops' || a.startsWith('/nonexistent'))) expect(fast.code, fast.stderr).to.equal(0)
    })
  }

  it('a real dispatch: the same output, record and audit line either way, but for the issue', async () => {
    const {sb, env} = t
    // One issue each: the second dispatch of one issue would reuse the first one's worktree.
    const flags = ['--claims', 'src', '--model=opus', '--json', '--', '--max-turns', '3']
    const fast = await runCli(['headless', REF, ...flags], {env, cwd: sb.dir, timeoutMs: 120_000})
    const oclif = await runCli(['headless', REF2, ...flags], {env: {...env, DISPATCH_FAST_PATH: '0'}, cwd: sb.dir, timeoutMs: 120_000})
    expect(fast.code, fast.stderr).to.equal(0)
    expect(oclif.code, oclif.stderr).to.equal(0)
    expect(fast.stderr).to.equal(oclif.stderr)
    // What differs between two workers: the issue (number, title, slug), pid, times, port and duration.
    const steady = (text: string, n: number, title: string) =>
      text
        .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z|\d{8}-\d{6}/g, 'TIME')
        .replaceAll(title, 'TITLE')
        .replaceAll(title.toLowerCase().replaceAll(' ', '-'), 'slug')
        .replace(new RegExp(`\\b${n}\\b`, 'g'), 'N')
        .replace(/\b\d{3,}\b/g, '#')
    expect(steady(fast.stdout, 12, 'Fix the login bug')).to.equal(steady(oclif.stdout, 13, 'Another one'))
    // Compared once both have ended: a record gains its end (exit code, cost, denials) when its worker exits.
    await waitFor('both workers to end', () => records(sb).filter((r) => (r.ref === REF || r.ref === REF2) && r.ended_at).length === 2, 60_000)
    const [a, b] = [records(sb).find((r) => r.ref === REF)!, records(sb).find((r) => r.ref === REF2)!]
    expect(Object.keys(a).sort()).to.deep.equal(Object.keys(b).sort())
    expect(a.claude_args).to.deep.equal(b.claude_args)
    const audit = auditLines(sb)
    expect(audit.map((l) => [l.command, l.ref, l.outcome, l.exit_code, l.args.join(' ')])).to.deep.equal([
      ['headless', REF, 'ok', 0, [REF, '--claims', 'src', '--model=opus', '--json'].join(' ')],
      ['headless', REF2, 'ok', 0, [REF2, '--claims', 'src', '--model=opus', '--json'].join(' ')],
    ])
    expect(Object.keys(audit[0]).sort()).to.deep.equal(Object.keys(audit[1]).sort())
  })
})

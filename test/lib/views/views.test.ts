import {expect} from 'chai'

import type {DoctorReport} from '../../../src/lib/doctor.js'
import type {ReapEntry} from '../../../src/lib/reap/index.js'
import type {Conflict} from '../../../src/lib/registry/index.js'
import type {StoppedWorker} from '../../../src/lib/stop.js'
import type {SurfaceResult} from '../../../src/lib/interactive/surfaces.js'
import {renderResuming} from '../../../src/lib/views/attach.js'
import {renderConflicts} from '../../../src/lib/views/conflicts.js'
import {renderDryRun, renderOpened, renderStarted, type DryRunResult} from '../../../src/lib/views/dispatch.js'
import {renderDoctor} from '../../../src/lib/views/doctor.js'
import type {Rendered} from '../../../src/lib/views/facts.js'
import {renderInit} from '../../../src/lib/views/init.js'
import {renderPrune} from '../../../src/lib/views/prune.js'
import {renderReap} from '../../../src/lib/views/reap.js'
import {renderStop} from '../../../src/lib/views/stop.js'
import {renderFollowEnd, renderFollowLine} from '../../../src/lib/views/workers.js'

const out = (stdout: string, stderr = ''): Rendered => ({stdout, stderr})

describe('views: pure renderers, byte for byte', () => {
  describe('doctor', () => {
    const report: DoctorReport = {
      ok: false,
      checks: [
        {name: 'config', status: 'ok', detail: '/c/config.yaml', fix: 'never shown when ok'},
        {name: 'token', status: 'warn', detail: 'no\ttoken', fix: 'export GITHUB_TOKEN'},
        {name: 'git', status: 'fail', detail: 'missing'},
      ],
    } as DoctorReport
    const cases: Array<[string, DoctorReport, boolean, Rendered]> = [
      ['plain, failing', report, false, out('✓ config: /c/config.yaml\n! token: no token\n    fix: export GITHUB_TOKEN\n✗ git: missing\n\nSome checks failed; fix them before dispatching.\n')],
      [
        'coloured, failing',
        report,
        true,
        out('\u001b[32m✓\u001b[0m config: /c/config.yaml\n\u001b[33m!\u001b[0m token: no token\n    fix: export GITHUB_TOKEN\n\u001b[31m✗\u001b[0m git: missing\n\nSome checks failed; fix them before dispatching.\n'),
      ],
      ['all ok', {ok: true, checks: [report.checks[0]]} as DoctorReport, false, out('✓ config: /c/config.yaml\n\nReady to dispatch.\n')],
    ]
    for (const [title, data, color, want] of cases) it(title, () => expect(renderDoctor(data, {color})).to.deep.equal(want))
  })

  describe('reap', () => {
    const e = (action: ReapEntry['action'], branch: string | null, reason: string): ReapEntry => ({path: `/w/${action}`, branch, action, verdict: 'remove', reason}) as ReapEntry
    const cases: Array<[string, ReapEntry[], Rendered]> = [
      ['nothing there: said on stderr', [], out('', 'no dispatch worktrees under /w\n')],
      [
        'each verdict aligned',
        [e('removed', 'issue-1', 'merged'), e('would-remove', null, 'clean'), e('kept', 'issue-3', 'uncommitted changes')],
        out('removed      /w/removed (issue-1): merged\nwould remove /w/would-remove: clean\nkept         /w/kept (issue-3): uncommitted changes\n'),
      ],
    ]
    for (const [title, data, want] of cases) it(title, () => expect(renderReap(data, '/w')).to.deep.equal(want))
  })

  describe('stop', () => {
    const s = (outcome: StoppedWorker['outcome'], extra: Partial<StoppedWorker> = {}): StoppedWorker =>
      ({pid: 42, ref: 'acme/api#1', mode: 'headless', outcome, signal: 'SIGINT', exit_code: null, exit_signal: null, ...extra}) as StoppedWorker
    const cases: Array<[string, StoppedWorker[], Rendered]> = [
      ['none active', [], out('', 'no active workers\n')],
      [
        'one line per worker, tab-separated; the count on stderr',
        [s('stopped'), s('survived', {pid: 43, ref: 'acme/api#\u001b2', signal: 'SIGKILL', tmux_pane: '%3'})],
        out('stopped\t42\tacme/api#1\t(SIGINT)\nstill running\t43\tacme/api#\\x1b2\t(SIGKILL, tmux pane %3 closed)\n', '✓ Stopped 2 worker(s)\n'),
      ],
    ]
    for (const [title, data, want] of cases) it(title, () => expect(renderStop(data)).to.deep.equal(want))
  })

  describe('prune', () => {
    const removed = [{pid: 1, ref: 'a/b#1', ended_at: null, log_removed: true}, {pid: 2, ref: 'a/b#2', ended_at: null, log_removed: false}]
    const cases: Array<[string, boolean, Rendered]> = [
      ['dry run', true, out('would remove 1 a/b#1 (and its log)\nwould remove 2 a/b#2\n', 'would remove 2 records, keep 3\n')],
      ['for real', false, out('removed 1 a/b#1 (and its log)\nremoved 2 a/b#2\n', 'removed 2 records, kept 3\n')],
    ]
    for (const [title, dryRun, want] of cases) it(title, () => expect(renderPrune({removed, kept: 3, spec_files_removed: [], prompt_files_removed: []}, dryRun)).to.deep.equal(want))
    it('one record, singular', () => expect(renderPrune({removed: [removed[1]], kept: 0, spec_files_removed: [], prompt_files_removed: []}, false).stderr).to.equal('removed 1 record, kept 0\n'))
    it('a stale Slurm spec file, one line of its own', () =>
      expect(renderPrune({removed: [], kept: 1, spec_files_removed: ['/s/slurm/spec-ab.json'], prompt_files_removed: []}, false).stdout).to.equal("removed /s/slurm/spec-ab.json (a Slurm job's environment that no job will read)\n"))
    it('an old prompt file, one line of its own', () =>
      expect(renderPrune({removed: [], kept: 0, spec_files_removed: [], prompt_files_removed: ['/s/prompts/p.md']}, true).stdout).to.equal('would remove /s/prompts/p.md (a prompt file for a session started by hand)\n'))
  })

  describe('init', () => {
    const cases: Array<[string, 'flag' | 'default', Rendered]> = [
      ['a given root', 'flag', out('allowedOwners  acme, me\nworkspace      /src/{owner}/{repo}\nevery key      /pkg/example\nnext           dispatch doctor\n', '✓ Wrote /c/config.yaml\n')],
      [
        'a guessed root says so',
        'default',
        out('allowedOwners  acme, me\nworkspace      /src/{owner}/{repo} (a guess: edit workspace.root if your checkouts live elsewhere)\nevery key      /pkg/example\nnext           dispatch doctor\n', '✓ Wrote /c/config.yaml\n'),
      ],
    ]
    for (const [title, from, want] of cases)
      it(title, () => expect(renderInit({file: '/c/config.yaml', allowedOwners: ['acme', 'me'], workspace: {root: '/src', layout: '{owner}/{repo}'}, workspace_from: from}, '/pkg/example')).to.deep.equal(want))
  })

  describe('conflicts', () => {
    const c = (reason: Conflict['reason'], repo?: string): Conflict => ({pid: 7, ref: 'acme/api#3', path: 'src/a', claim: 'src', reason, ...(repo ? {repo} : {})}) as Conflict
    const cases: Array<[string, Conflict[], Rendered]> = [
      ['none', [], out('', 'no conflicts with 2 active worker(s)\n')],
      [
        'each reason in words, with the repository when known',
        [c('exact', 'acme/api'), c('ancestor'), c('descendant')],
        out('acme/api#3 (pid 7) claims exactly src/a in acme/api: src\nacme/api#3 (pid 7) claims a parent of src/a: src\nacme/api#3 (pid 7) claims something inside src/a: src\n'),
      ],
    ]
    for (const [title, data, want] of cases) it(title, () => expect(renderConflicts(data, 2)).to.deep.equal(want))
  })

  it('attach: the resuming line on stderr', () => {
    expect(renderResuming({ref: 'a/b#1', claude_session_id: 's-1', cwd: '/w/x'})).to.deep.equal(out('', 'Resuming a/b#1 (session s-1) in /w/x\n'))
  })

  it('status --follow: an event, then how it ended', () => {
    expect(renderFollowLine('› edited src/a')).to.equal('  › edited src/a\n')
    expect(renderFollowEnd({ref: 'a/b#1', state: 'exited', exit_code: 0})).to.equal('a/b#1 EXITED 0 (exit code 0)\n')
    expect(renderFollowEnd({ref: 'a/b#1', state: 'killed', exit_code: null, exit_signal: 'SIGKILL'})).to.equal('a/b#1 KILLED (SIGKILL)\n')
  })

  describe('dispatch', () => {
    const dry: DryRunResult = {
      dry_run: true,
      mode: 'headless',
      ref: 'acme/api#12',
      forge: 'github',
      url: 'https://github.com/acme/api/issues/12',
      title: 'Fix\tit',
      state: 'open',
      checkout: '/src/acme/api',
      cwd: '/wt/api-12',
      branch: 'issue-12-fix-it',
      default_branch: 'main',
      worktree_action: 'create',
      worktree_slot: 2,
      claims: [],
      cascade_depth: 0,
      claude: {bin: 'claude', args: ['-p', 'a b'], stdin: 'prompt'},
      prompt: 'line 1\nline 2',
      bootstrap: {include: ['.env', 'config/a.local'], include_skipped: [{path: 'out.link', reason: 'a symlink to /x, outside the checkout'}], setup: 'npm ci'},
    }
    const plan =
      "Issue:    acme/api#12 (github, open)\nTitle:    Fix it\nURL:      https://github.com/acme/api/issues/12\nCheckout: /src/acme/api\nWorktree: /wt/api-12 (new worktree and branch; slot 2, as an active worker has the issue's first)\nBranch:   issue-12-fix-it (default branch main)\nClaims:   (none)\nCascade:  depth 0\nSetup:    npm ci\nCopy:     .env, config/a.local\n          not out.link: a symlink to /x, outside the checkout\nCommand:  claude -p 'a b' <prompt on stdin>\n\nPrompt:\nline 1\nline 2\n"
    it('dry run', () => expect(renderDryRun(dry)).to.deep.equal(out(plan)))
    it('interactive dry run names the surface first', () => expect(renderDryRun(dry, 'tmux')).to.deep.equal(out('Surface:  tmux\n' + plan)))

    const record = {ref: 'acme/api#12', title: 'Fix it', pid: 99, cwd: '/wt/api-12', branch: 'issue-12-fix-it', log_path: '/s/99.log'}
    const details = "ref     acme/api#12: Fix it\npid     99\ncwd     /wt/api-12\nbranch  issue-12-fix-it\nlog     /s/99.log\nfollow  dispatch status 'acme/api#12' --follow\n"
    const started: Array<[string, string, boolean, string]> = [
      ['replied', 'replied', false, 'the model replied'],
      ['finished', 'finished', false, 'it already finished successfully'],
      ['alive', 'alive', false, 'alive and error-free after 800 ms'],
      ['alive, retrying', 'alive', true, 'alive after 800 ms, claude still retrying the API'],
    ]
    for (const [title, health, retrying, said] of started)
      it(`started: ${title}`, () => expect(renderStarted(record, {mode: 'headless', health, retrying, healthWindowMs: 800})).to.deep.equal(out(details, `✓ Started headless worker for acme/api#12 (${said})\n`)))

    const s = (extra: Partial<SurfaceResult>): SurfaceResult => ({surface: 'tmux', launched: true, command: 'claude …', ...extra}) as SurfaceResult
    const opened: Array<[string, SurfaceResult, Rendered]> = [
      ['print', s({surface: 'print', launched: false}), out('claude …\n')],
      ['a fallback says why', s({surface: 'print', launched: false, fallback_reason: 'no tmux'}), out('claude …\n', 'warning: could not open the session (no tmux); nothing is running. Start it yourself:\n')],
      ['foreground', s({surface: 'foreground', exit_code: 3}), out('', 'claude exited with code 3\n')],
      ['tmux with a pid and attach line', s({pid: 5, attach: 'tmux attach -t x'}), out('attach  tmux attach -t x\n', '✓ Opened acme/api#12 on tmux (pid 5) in /wt/api-12\n')],
      [
        'warp, not started yet',
        s({surface: 'warp', launch_config: '/l/x.yaml'}),
        out('launch  /l/x.yaml\n', '✓ Opened acme/api#12 on warp in /wt/api-12\n  The session has not started yet; it appears in dispatch sidequests list once it does.\n'),
      ],
    ]
    for (const [title, data, want] of opened) it(`opened: ${title}`, () => expect(renderOpened(data, {ref: 'acme/api#12', cwd: '/wt/api-12'})).to.deep.equal(want))
  })
})

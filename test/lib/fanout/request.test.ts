import {expect} from 'chai'

import {FailureError, InterruptedError, NotFoundError, PolicyError, UsageError} from '../../../src/lib/errors.js'
import {fanoutExitCode, outcomeOf} from '../../../src/lib/fanout/index.js'
import {DEFAULT_LABEL_LIMIT, checkRefList, dispatchRequest, type FanoutFlags} from '../../../src/lib/fanout/request.js'
import {renderFanout, type FanoutElement} from '../../../src/lib/views/fanout.js'

describe('fan-out decisions', () => {
  describe('dispatchRequest', () => {
    const ok: Array<[string[], FanoutFlags, ReturnType<typeof dispatchRequest>]> = [
      [['a/b#1'], {}, {kind: 'single', ref: 'a/b#1'}],
      [['a/b#1', 'a/b#2'], {}, {kind: 'refs', refs: ['a/b#1', 'a/b#2']}],
      [[], {label: 'ready', repo: 'a/b'}, {kind: 'label', label: 'ready', repo: 'a/b', limit: DEFAULT_LABEL_LIMIT}],
      [[], {label: 'ready', repo: 'a/b', limit: 3}, {kind: 'label', label: 'ready', repo: 'a/b', limit: 3}],
    ]
    for (const [refs, flags, want] of ok) it(`${JSON.stringify(refs)} ${JSON.stringify(flags)} → ${want.kind}`, () => expect(dispatchRequest(refs, flags, 'help')).to.deep.equal(want))

    const bad: Array<[string[], FanoutFlags, RegExp]> = [
      [[], {}, /Missing 1 required arg: ref/],
      [[], {label: 'ready'}, /--label needs --repo/],
      [['a/b#1'], {label: 'ready', repo: 'a/b'}, /not both/],
      [['a/b#1'], {repo: 'a/b'}, /--repo only goes with --label/],
      [['a/b#1', 'a/b#2'], {limit: 2}, /--limit only goes with --label/],
    ]
    for (const [refs, flags, message] of bad) it(`${JSON.stringify(refs)} ${JSON.stringify(flags)} is a usage error`, () => expect(() => dispatchRequest(refs, flags, 'help')).to.throw(UsageError, message))
  })

  it('checkRefList refuses the first malformed ref by name, with the pass-through hint', () => {
    const hosts = {githubWebUrl: 'https://github.com'}
    expect(() => checkRefList(['a/b#1', 'https://github.com/a/b/issues/2'], hosts, 'HINT')).not.to.throw()
    expect(() => checkRefList(['a/b#1', 'oops', 'a/b#0'], hosts, 'HINT')).to.throw(UsageError, /"oops" is not an issue reference.*Nothing was started\./)
  })

  it('outcomeOf: policy refusals are refused, everything else failed', () => {
    expect(outcomeOf(new PolicyError('x'))).to.equal('refused')
    for (const e of [new FailureError('x'), new NotFoundError('x'), new UsageError('x')]) expect(outcomeOf(e)).to.equal('failed')
  })

  const codes: Array<[string[], number]> = [
    [[], 0],
    [['started', 'started'], 0],
    [['planned'], 0],
    [['started', 'refused'], 3],
    [['refused', 'refused'], 3],
    [['started', 'refused', 'failed'], 1],
    [['failed'], 1],
  ]
  for (const [outcomes, code] of codes) it(`fanoutExitCode(${outcomes.join(', ') || 'nothing'}) is ${code}`, () => expect(fanoutExitCode(outcomes.map((outcome) => ({outcome: outcome as FanoutElement['outcome']})))).to.equal(code))
  it('fanoutExitCode: an interruption wins (130, 143)', () => {
    expect(fanoutExitCode([{outcome: 'failed'}], new InterruptedError('x', 'SIGINT'))).to.equal(130)
    expect(fanoutExitCode([{outcome: 'started'}], new InterruptedError('x', 'SIGTERM'))).to.equal(143)
  })

  it('renderFanout: one aligned line per issue on stdout, the tally on stderr, forge text made inert', () => {
    const worker = {pid: 42, branch: 'dispatch/issue-1-x', health: 'replied', warnings: []} as unknown as FanoutElement['worker']
    const elements: FanoutElement[] = [
      {input: 'a/b#1', ref: 'a/b#1', outcome: 'started', worker},
      {input: 'a/b#12', ref: 'a/b#12', outcome: 'refused', error: {code: 'refused', exit_code: 3, message: 'a/b#12 is closed;\u001b[31m red'}},
      {input: 'a/b#3', ref: 'a/b#3', outcome: 'failed', error: {code: 'failure', exit_code: 1, message: 'crashed'}, log_tail: ['boom']},
    ]
    const out = renderFanout(elements, {mode: 'headless', dryRun: false})
    expect(out.stdout.split('\n')).to.deep.equal([
      'started  a/b#1   pid 42  dispatch/issue-1-x  (the model replied)',
      'refused  a/b#12  a/b#12 is closed;\\x1b[31m red',
      'failed   a/b#3   crashed',
      '',
    ])
    expect(out.stdout).not.to.include('\u001b')
    expect(out.stderr).to.include('Started 1 headless worker for 3 issues; 1 refused, 1 failed.\n')
    expect(out.stderr).to.include("Last lines of a/b#3's log:\n  boom\n")
    expect(renderFanout([{input: 'a/b#1', ref: 'a/b#1', outcome: 'started', worker}], {mode: 'cascade', dryRun: false}).stderr).to.match(/^✓ Started 1 cascade worker for 1 issue\.\n/)
    // A Slurm worker is named by its job: its pid is 0 while queued.
    const queued = {pid: 0, runner: 'slurm', job_id: '77', branch: 'dispatch/issue-2-y', health: 'queued', warnings: []} as unknown as FanoutElement['worker']
    expect(renderFanout([{input: 'a/b#2', ref: 'a/b#2', outcome: 'started', worker: queued}], {mode: 'headless', dryRun: false}).stdout).to.equal('started  a/b#2  Slurm job 77  dispatch/issue-2-y  (queued in Slurm)\n')
  })
})

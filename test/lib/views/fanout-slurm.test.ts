import {expect} from 'chai'

import {renderFanout, type FanoutElement} from '../../../src/lib/views/fanout.js'

describe('renderFanout with Slurm workers', () => {
  it('names the job and its state, not "pid 0" and a bare health word', () => {
    const worker = (job: string, health: string) => ({pid: 0, runner: 'slurm', job_id: job, branch: `dispatch/issue-${job}-x`, health, warnings: []}) as unknown as FanoutElement['worker']
    const out = renderFanout(
      [
        {input: 'a/b#1', ref: 'a/b#1', outcome: 'started', worker: worker('101', 'queued')},
        {input: 'a/b#2', ref: 'a/b#2', outcome: 'started', worker: worker('102', 'running')},
      ],
      {mode: 'headless', dryRun: false},
    )
    expect(out.stdout.split('\n')).to.deep.equal([
      'started  a/b#1  Slurm job 101  dispatch/issue-101-x  (queued in Slurm)',
      'started  a/b#2  Slurm job 102  dispatch/issue-102-x  (running in Slurm)',
      '',
    ])
  })
})

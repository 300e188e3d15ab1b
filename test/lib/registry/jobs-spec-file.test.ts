import {expect} from 'chai'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isSpecFile} from '../../../src/lib/registry/jobs.js'
import {Registry} from '../../../src/lib/registry/index.js'
import type {JobInfo, JobScheduler} from '../../../src/lib/runners/slurm-scheduler.js'

describe('a Slurm job that never ran leaves no spec file (its tokens) behind', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-spec-file-'))
    mkdirSync(path.join(dir, 'sidequests'), {recursive: true, mode: 0o700})
    mkdirSync(path.join(dir, 'slurm'), {recursive: true, mode: 0o700})
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const record = (jobId: string, spec: string) => ({
    schema_version: 2,
    mode: 'headless',
    ref: `acme/api#${jobId}`,
    forge: 'github',
    url: `https://github.com/acme/api/issues/${jobId}`,
    title: 't',
    started_at: new Date().toISOString(),
    parent_session: null,
    paths_claimed: [],
    cwd: '/w',
    branch: 'dispatch/x',
    log_path: '/l',
    cascade_depth: 0,
    claude_session_id: null,
    pid: 0,
    pid_start_time: null,
    runner: 'slurm',
    job_id: jobId,
    node: null,
    job_spec_file: spec,
  })
  const spec = (id: string, ageMs = 0) => {
    const file = path.join(dir, 'slurm', `spec-${id}abc.json`)
    writeFileSync(file, JSON.stringify({env: {GH_TOKEN: 'ghp_SECRET'}}), {mode: 0o600})
    writeFileSync(path.join(dir, 'sidequests', `slurm-${id}.json`), JSON.stringify({...record(id, file), started_at: new Date(Date.now() - ageMs).toISOString()}), {mode: 0o600})
    return file
  }
  const scheduler = (states: Record<string, string>): JobScheduler => ({
    async jobs(ids) {
      const out = new Map<string, JobInfo>()
      for (const id of ids) if (states[id]) out.set(id, {id, state: states[id], reason: null, node: null, endedAt: null, exitCode: null, exitSignal: null})
      return out
    },
  })

  it('removes the spec of a job cancelled or forgotten while queued, keeps the one of a job still queued', async () => {
    const cancelled = spec('1')
    const forgotten = spec('2', 3600_000)
    const queued = spec('3')
    // Just submitted and not listed (yet): its job may still read it.
    const fresh = spec('4')
    const registry = new Registry({stateDir: dir, scheduler: scheduler({'1': 'CANCELLED', '3': 'PENDING'})})
    const active = await registry.active()
    expect(active.map((r) => r.job_id)).to.deep.equal(['3'])
    expect(existsSync(fresh), 'spec of a job submitted moments ago').to.equal(true)
    expect(existsSync(cancelled), 'spec of a cancelled job').to.equal(false)
    expect(existsSync(forgotten), 'spec of a forgotten job').to.equal(false)
    expect(existsSync(queued), 'spec of a queued job').to.equal(true)
  })

  it('deletes only files named like the runner\'s specs, whatever a record says', () => {
    expect(isSpecFile('/s/slurm/spec-0a1b.json')).to.equal(true)
    expect(isSpecFile('/home/u/.ssh/id_ed25519')).to.equal(false)
    expect(isSpecFile('/s/slurm/spec-0a1b.json/../../x')).to.equal(false)
  })
})

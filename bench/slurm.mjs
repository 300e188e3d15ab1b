// The Slurm cases of `npm run bench` (issue #14), on the one-node cluster the
// tests use (test/support/slurm.ts, started and stopped here):
//   - a Slurm dispatch (`headless --runner slurm`, held so nothing runs) over
//     a bare `sbatch` of the same job script, as a ratio;
//   - `sidequests list --json` with 1,000 Slurm records against 1,000 local
//     ones: time, and scheduler queries counted by an `squeue` and an `sacct`
//     on PATH that count their calls before running the real ones. Target: at
//     most one more.
// Where Slurm can't run (not installed and not installable, not root), the
// cases are skipped with the reason.
import {spawn} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {tsImport} from 'tsx/esm/api'

/** Wall time of one run of any command, in ms; rejects on a non-zero exit. */
function timeCmd(cmd, args, env, cwd) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(cmd, args, {env, cwd, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve({ms: Number(process.hrtime.bigint() - start) / 1e6, out}) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}`))))
  })
}

/**
 * Run the Slurm cases. `ctx`: tmp, bin, runs, env (the bench's base env),
 * dispatchConfigLines (the local dispatch config, YAML lines), localConfig (a
 * config whose registry holds 1,000 local records), median, fmt.
 * Resolves with the report's lines, and whether the targets were met.
 */
export async function benchSlurm(ctx) {
  const {slurmUnavailable, startSlurm} = await tsImport('../test/support/slurm.ts', import.meta.url)
  const why = slurmUnavailable()
  if (why) return {lines: ['', `Slurm cases skipped: ${why}.`], met: true}
  process.stderr.write('starting the one-node Slurm cluster…\n')
  const cluster = await startSlurm()
  try {
    const env = {...ctx.env, ...cluster.env}
    const {median, fmt} = ctx
    const runs = Math.max(3, ctx.runs)

    // (a) dispatch through the Slurm runner vs sbatch of the job script it submits.
    const stateDir = path.join(ctx.tmp, 'state-slurm-dispatch')
    const config = path.join(ctx.tmp, 'dispatch-slurm.yaml')
    writeFileSync(config, [...ctx.dispatchConfigLines.filter((l) => !l.startsWith('stateDir:')), `stateDir: ${stateDir}`, 'runner: {kind: slurm, slurm: {extraArgs: [--hold]}}', ''].join('\n'))
    const jobIdOf = () => {
      const dir = path.join(stateDir, 'sidequests')
      const names = readdirNames(dir).filter((n) => /^slurm-\d+\.json$/.test(n))
      return names.map((n) => Number(n.slice(6, -5))).sort((a, b) => b - a)[0]
    }
    const dispatchTimes = []
    const sbatchTimes = []
    let script
    const jobIds = []
    for (let round = 0; round < runs; round++) {
      process.stderr.write(`\rslurm dispatch round ${round + 1}/${runs}`)
      dispatchTimes.push((await timeCmd(process.execPath, [ctx.bin, 'headless', `acme/api#${150 + round}`, '--config', config], env, ctx.tmp)).ms)
      jobIds.push(String(jobIdOf()))
      if (!script) {
        script = path.join(ctx.tmp, 'job-script.sh')
        await cluster.client('scontrol', 'write', 'batch_script', jobIds[0], script)
      }
      const bare = await timeCmd('sbatch', ['--hold', '--parsable', '--job-name=bare', `--output=${path.join(ctx.tmp, 'bare-%j.log')}`, script], env, ctx.tmp)
      sbatchTimes.push(bare.ms)
      jobIds.push(bare.out.trim().split(';')[0])
    }
    process.stderr.write('\n')

    // (b) 1,000 Slurm records, 1 in 10 without an end (held jobs the scheduler knows), against 1,000 local ones.
    while (jobIds.length < 100) {
      const held = await timeCmd('sbatch', ['--hold', '--parsable', '--job-name=bench-live', '--output=/dev/null', script], env, ctx.tmp)
      jobIds.push(held.out.trim().split(';')[0])
    }
    const slurmState = path.join(ctx.tmp, 'state-slurm-1000')
    const dir = path.join(slurmState, 'sidequests')
    mkdirSync(dir, {recursive: true, mode: 0o700})
    for (let i = 0; i < 1000; i++) {
      const live = i % 10 === 0
      const jobId = live ? jobIds[i / 10] : String(5_000_000 + i)
      const record = {
        schema_version: 2, pid: live ? 0 : 4_000_000 + i, pid_start_time: null, mode: 'headless', ref: `acme/api#${i + 1}`, forge: 'github', repo: 'acme/api',
        url: `https://github.com/acme/api/issues/${i + 1}`, title: `Task ${i + 1}`, started_at: new Date(Date.now() - (1000 - i) * 1000).toISOString(),
        parent_session: null, paths_claimed: [`src/module-${i}`], cwd: `/wt/acme/api/issue-${i + 1}`, branch: `dispatch/issue-${i + 1}`,
        log_path: null, cascade_depth: 0, claude_session_id: null, runner: 'slurm', job_id: jobId, node: null,
        ...(live ? {} : {ended_at: new Date().toISOString(), exit_code: 0, cost_usd: 0.01, num_turns: 3}),
      }
      writeFileSync(path.join(dir, `slurm-${jobId}.json`), JSON.stringify(record, null, 2), {mode: 0o600})
    }
    const slurmConfig = path.join(ctx.tmp, 'config-slurm-1000.yaml')
    writeFileSync(slurmConfig, ['allowedOwners: [acme]', `stateDir: ${slurmState}`, `worktreeRoot: ${path.join(ctx.tmp, 'wt')}`, ''].join('\n'))
    // An squeue that counts its calls, first on PATH.
    const wrapperDir = path.join(ctx.tmp, 'counting-bin')
    const calls = path.join(ctx.tmp, 'squeue-calls')
    mkdirSync(wrapperDir, {recursive: true})
    // squeue and sacct (asked only about jobs squeue forgot without an end) are the scheduler queries.
    for (const tool of ['squeue', 'sacct']) {
      const real = (await timeCmd('sh', ['-c', `command -v ${tool}`], env)).out.trim()
      writeFileSync(path.join(wrapperDir, tool), `#!/bin/sh\necho ${tool} >> '${calls}'\nexec '${real}' "$@"\n`, {mode: 0o755})
    }
    const counted = {...env, PATH: `${wrapperDir}:${env.PATH}`}
    const queries = async (cfg) => {
      rmSync(calls, {force: true})
      await timeCmd(process.execPath, [ctx.bin, 'sidequests', 'list', '--json', '--config', cfg], counted, ctx.tmp)
      try {
        return readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean).length
      } catch {
        return 0
      }
    }
    const localQueries = await queries(ctx.localConfig)
    const slurmQueries = await queries(slurmConfig)
    const listLocal = []
    const listSlurm = []
    for (let round = 0; round < runs; round++) {
      process.stderr.write(`\rslurm list round ${round + 1}/${runs}`)
      listLocal.push((await timeCmd(process.execPath, [ctx.bin, 'sidequests', 'list', '--json', '--config', ctx.localConfig], counted, ctx.tmp)).ms)
      listSlurm.push((await timeCmd(process.execPath, [ctx.bin, 'sidequests', 'list', '--json', '--config', slurmConfig], counted, ctx.tmp)).ms)
    }
    process.stderr.write('\n')

    const queriesMet = slurmQueries <= localQueries + 1
    const range = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`
    return {
      met: queriesMet,
      lines: [
        '',
        '| Slurm (one-node cluster, jobs held) | median | min–max | ratio | scheduler queries | target | met |',
        '|---|---|---|---|---|---|---|',
        `| bare sbatch of the job script | ${fmt(median(sbatchTimes))} | ${range(sbatchTimes)} | 1.00× | | | |`,
        `| headless --runner slurm | ${fmt(median(dispatchTimes))} | ${range(dispatchTimes)} | ${(median(dispatchTimes) / median(sbatchTimes)).toFixed(2)}× over sbatch (+${fmt(median(dispatchTimes) - median(sbatchTimes))}) | | | |`,
        `| sidequests list --json (1000 local records) | ${fmt(median(listLocal))} | ${range(listLocal)} | 1.00× | ${localQueries} | | |`,
        `| sidequests list --json (1000 Slurm records) | ${fmt(median(listSlurm))} | ${range(listSlurm)} | ${(median(listSlurm) / median(listLocal)).toFixed(2)}× over local | ${slurmQueries} | ≤ ${localQueries + 1} | ${queriesMet ? 'yes' : 'NO'} |`,
      ],
    }
  } finally {
    await cluster.stop()
  }
}

function readdirNames(dir) {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/**
 * `dispatch doctor` for the Slurm runner: the client tools, a controller that
 * answers (sinfo), the configured partition, and state and worktree roots that
 * exist already (a node can't create them on storage it shares with this
 * machine if they are missing here, and an absent one usually means a path
 * that only exists on one machine).
 */
import {existsSync} from 'node:fs'

import type {Config} from '../config/index.js'
import type {Check} from '../doctor.js'
import {errorMessage} from '../errors.js'
import {which} from '../which.js'
import {slurmTool} from './slurm-scheduler.js'

const TOOLS = ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'] as const

export async function slurmChecks(config: Pick<Config, 'runner' | 'stateDir' | 'worktreeRoot'>, env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<Check[]> {
  const checks: Check[] = []
  const missing = TOOLS.filter((t) => !which(t, env))
  checks.push(
    missing.length === 0
      ? {name: 'Slurm tools', status: 'ok', detail: TOOLS.join(', ')}
      : {name: 'Slurm tools', status: 'fail', detail: `the Slurm runner needs ${missing.join(', ')}, not on PATH`, fix: 'Install the Slurm client tools (Debian: apt-get install slurm-client) with the cluster\'s slurm.conf, or use --runner local.'},
  )
  if (!missing.includes('sinfo')) {
    const partition = config.runner.slurm.partition
    try {
      const out = (await slurmTool('sinfo', ['-h', '-o', '%P %a %D %T', ...(partition ? ['-p', partition] : [])], {env, timeoutMs})).trim()
      if (partition && !out) checks.push({name: 'Slurm controller', status: 'fail', detail: `the controller answers, but has no partition ${partition}`, fix: 'Fix runner.slurm.partition (sinfo lists the partitions).'})
      else checks.push({name: 'Slurm controller', status: 'ok', detail: out.split('\n').slice(0, 3).join('; ') || 'answers (no partitions listed)'})
    } catch (error) {
      checks.push({name: 'Slurm controller', status: 'fail', detail: `sinfo failed: ${errorMessage(error).split('\n')[0]}`, fix: 'Check SLURM_CONF or /etc/slurm/slurm.conf, munge, and that slurmctld runs (scontrol ping).'})
    }
  }
  for (const [name, key, dir] of [
    ['Slurm state dir', 'stateDir', config.stateDir],
    ['Slurm worktree root', 'worktreeRoot', config.worktreeRoot],
  ] as const) {
    checks.push(
      existsSync(dir)
        ? {name, status: 'ok', detail: `${dir} exists; it must be the same path on every node (shared storage)`}
        : {name, status: 'fail', detail: `${dir} does not exist`, fix: `Create it on storage every node sees (the shared filesystem) and point ${key} at it.`},
    )
  }
  return checks
}

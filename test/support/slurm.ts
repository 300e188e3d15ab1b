/**
 * A one-node Slurm cluster for the tests: munged, slurmctld and slurmd as
 * child processes of the test run, each with its own key, socket, ports,
 * state, spool, log and pid files in one temp dir. Clients find it through
 * SLURM_CONF (the conf names munge's socket in AuthInfo). Start it once per
 * test file; `stop()` ends every daemon by pid.
 */
import {execFile, execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'

import {ROOT, waitFor} from './helpers.js'

const run = promisify(execFile)

export interface SlurmCluster {
  dir: string
  conf: string
  /** The node's name, as slurm.conf and squeue call it. */
  node: string
  cpus: number
  /** SLURM_CONF for clients; merge into a sandbox's env. */
  env: NodeJS.ProcessEnv
  /** The controller's saved state (job scripts and environments live here). */
  stateSave: string
  /** Run a Slurm client command against this cluster. */
  client(cmd: string, ...args: string[]): Promise<string>
  stop(): Promise<void>
}

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** Install the packages when missing (root + apt-get only); the reason to skip when Slurm still isn't there. */
export function slurmUnavailable(): string | undefined {
  const tools = ['sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo', 'slurmctld', 'slurmd', 'munged']
  if (!tools.every(have)) {
    try {
      execFileSync(path.join(ROOT, 'test', 'support', 'slurm', 'install.sh'), {stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000})
    } catch (error) {
      return `installing slurm-wlm failed: ${(error as Error).message}`
    }
  }
  const missing = tools.filter((t) => !have(t))
  if (missing.length > 0) return `Slurm is not installed (${missing.join(', ')} missing) and could not be installed here`
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the test cluster runs slurmd as root (it starts jobs as their user), and these tests are not root'
  return undefined
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

function shortHostname(): string {
  try {
    return execFileSync('hostname', ['-s'], {encoding: 'utf8'}).trim() || os.hostname().split('.')[0]
  } catch {
    return os.hostname().split('.')[0]
  }
}

/** Processes (not this one) whose environment holds `entry` exactly. Linux. */
function processesWithEnv(entry: string): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) found.push(Number(name))
    } catch {}
  }
  return found
}

function logOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n')
  } catch {
    return '(no log)'
  }
}

/** Start munged, slurmctld and slurmd; resolves when sinfo shows the node idle. */
export async function startSlurm(): Promise<SlurmCluster> {
  // NOTE: munged refuses group/world-writable paths on the way to its socket; mkdtemp makes 0700 dirs.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dispatch-slurm-'))
  const children: ChildProcess[] = []
  const node = shortHostname()
  const cpus = os.cpus().length
  // slurmd refuses to register a node that claims more memory than it has.
  const memory = Math.max(256, Math.floor((os.totalmem() / 1024 / 1024) * 0.8))
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()]
  const socket = path.join(dir, 'munge.sock')
  const key = path.join(dir, 'munge.key')
  writeFileSync(key, randomBytes(1024), {mode: 0o600})
  for (const d of ['ctld', 'spool']) mkdirSync(path.join(dir, d), {mode: 0o700})
  const conf = path.join(dir, 'slurm.conf')
  writeFileSync(
    conf,
    [
      'ClusterName=dispatchtest',
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${path.join(dir, 'ctld')}`,
      `SlurmdSpoolDir=${path.join(dir, 'spool')}`,
      `SlurmctldPidFile=${path.join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${path.join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${path.join(dir, 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'SchedulerType=sched/builtin',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'JobAcctGatherType=jobacct_gather/none',
      'MpiDefault=none',
      'ReturnToService=2',
      // Short grace between SIGTERM and SIGKILL at a time limit or scancel; ended jobs stay visible to squeue for 10 minutes.
      'KillWait=2',
      'MinJobAge=600',
      'InactiveLimit=0',
      'SlurmctldTimeout=30',
      'SlurmdTimeout=300',
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN`,
      `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  )
  const env: NodeJS.ProcessEnv = {...process.env, SLURM_CONF: conf}
  const daemon = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let err = ''
    child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)))
    child.on('error', () => {})
    ;(child as ChildProcess & {errText: () => string}).errText = () => err
    children.push(child)
    return child
  }
  const stop = async () => {
    // Jobs outlive slurmd (slurmstepd runs them): cancel them while the daemons still answer.
    const alive = children.every((c) => c.exitCode === null && c.signalCode === null)
    if (alive && children.length >= 3) {
      const ask = (cmd: string, ...args: string[]) => run(cmd, args, {env, encoding: 'utf8', timeout: 30_000}).then((r) => r.stdout, () => '')
      const ids = (await ask('squeue', '-h', '-o', '%i')).split('\n').filter(Boolean)
      if (ids.length > 0) await ask('scancel', ...ids)
      await waitFor('the test cluster\'s jobs to end', async () => !(await ask('squeue', '-h', '-o', '%i')).trim(), 20_000).catch(() => {})
    }
    for (const child of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await gone
      clearTimeout(timer)
    }
    // Whatever is left of a job (slurmstepd and what it ran) carries this cluster's SLURM_CONF: end it by pid.
    for (const pid of processesWithEnv(`SLURM_CONF=${conf}`)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    const munged = daemon('munged', ['-F', '--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${path.join(dir, 'munged.pid')}`, `--log-file=${path.join(dir, 'munged.log')}`, `--seed-file=${path.join(dir, 'munged.seed')}`])
    await waitFor('munged to listen', () => existsSync(socket) || (munged.exitCode !== null && Promise.reject(new Error(`munged exited: ${logOf(path.join(dir, 'munged.log'))}`))))
    const ctld = daemon('slurmctld', ['-D', '-i', '-f', conf])
    const slurmd = daemon('slurmd', ['-D', '-f', conf, '-N', node])
    const client = async (cmd: string, ...args: string[]) => (await run(cmd, args, {env, encoding: 'utf8', timeout: 60_000})).stdout
    await waitFor(
      'the Slurm node to be idle',
      async () => {
        for (const [name, child, log] of [['slurmctld', ctld, 'slurmctld.log'], ['slurmd', slurmd, 'slurmd.log']] as const) {
          if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${(child as ChildProcess & {errText: () => string}).errText()}\n${logOf(path.join(dir, log))}`)
        }
        const out = await client('sinfo', '-h', '-N', '-o', '%T').catch(() => '')
        return out.trim() === 'idle'
      },
      60_000,
    )
    return {dir, conf, node, cpus, env: {SLURM_CONF: conf}, stateSave: path.join(dir, 'ctld'), client, stop}
  } catch (error) {
    await stop()
    throw error
  }
}

/** The ids of the jobs the cluster has that are not over (pending, running, completing). */
async function liveJobs(cluster: SlurmCluster): Promise<string[]> {
  const out = await cluster.client('squeue', '-h', '-t', 'PENDING,RUNNING,COMPLETING,CONFIGURING,SUSPENDED', '-o', '%i')
  return out.split('\n').map((l) => l.trim()).filter(Boolean)
}

/**
 * Mocha wiring for a test file: starts the cluster once before its tests and
 * stops it after; when Slurm can't be had, every test in the file skips and
 * the reason is printed. After each test, passed, failed or timed out, the
 * jobs it submitted are cancelled and gone from the node before the next test
 * (jobs that were there before it, from the file's before(), are left alone).
 */
export function useSlurm(suite: Mocha.Suite): {cluster: () => SlurmCluster} {
  let cluster: SlurmCluster | undefined
  suite.beforeAll(async function () {
    this.timeout(900_000)
    const why = slurmUnavailable()
    if (why) {
      console.log(`      (skipping the Slurm tests: ${why})`)
      this.skip()
    }
    cluster = await startSlurm()
  })
  let before = new Set<string>()
  suite.beforeEach(async () => {
    if (cluster) before = new Set(await liveJobs(cluster).catch(() => []))
  })
  suite.afterEach(async function () {
    this.timeout(120_000)
    const c = cluster
    if (!c) return
    const mine = async () => (await liveJobs(c).catch(() => [])).filter((id) => !before.has(id))
    const ids = await mine()
    if (ids.length === 0) return
    await c.client('scancel', ...ids).catch(() => {})
    await waitFor('the test\'s Slurm jobs to leave the node', async () => (await mine()).length === 0, 90_000)
  })
  suite.afterAll(async function () {
    this.timeout(60_000)
    await cluster?.stop()
    cluster = undefined
  })
  return {
    cluster: () => {
      if (!cluster) throw new Error('the Slurm cluster is not running')
      return cluster
    },
  }
}

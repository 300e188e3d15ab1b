import {readdir} from 'node:fs/promises'

import {livePidFilter} from '../proc.js'
import {isActive} from './liveness.js'
import {RECORD_NAME, type SidequestRecord} from './record.js'
import type {Registry} from './store.js'

/**
 * The active workers, read again and again cheaply (issue #21): a fan-out
 * admits each issue against the workers active at that moment, and reading
 * every live record again per issue made fifty issues cost fifty reads of a
 * growing registry. Each call lists the directory and checks pids against
 * /proc; a record file is read only when it is new, or when the record read
 * before is not active (a reused pid may have a new worker's record).
 * NOTE: a record read while its worker is alive is kept: what admission
 * reads (ref, claims, cwd, runner) does not change in a worker's life, and
 * the worker's end shows as its pid going away. Slurm records are read every
 * time: the scheduler, not /proc, says whether they live.
 */
export class ActiveView {
  private readonly known = new Map<string, SidequestRecord | undefined>()

  constructor(private readonly registry: Pick<Registry, 'dir' | 'get'>) {}

  async active(): Promise<SidequestRecord[]> {
    let names: string[]
    try {
      names = await readdir(this.registry.dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const live = livePidFilter()
    const present = new Set(names)
    for (const name of this.known.keys()) if (!present.has(name)) this.known.delete(name)
    const out: SidequestRecord[] = []
    for (const name of names) {
      if (!RECORD_NAME.test(name)) continue
      const key = name.slice(0, -'.json'.length)
      if (key.startsWith('slurm-')) {
        const record = await this.registry.get(key)
        if (record && isActive(record)) out.push(record)
        continue
      }
      if (!live(Number(key))) {
        this.known.delete(name)
        continue
      }
      let record = this.known.get(name)
      if (!record || !isActive(record)) {
        record = await this.registry.get(Number(key))
        this.known.set(name, record)
      }
      if (record && isActive(record)) out.push(record)
    }
    return out.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : a.pid - b.pid))
  }
}

// PLACEHOLDER until H-resume's ending.ts merges.
import type {SidequestRecord} from '../registry/index.js'
export type EndKind = 'completed' | 'crashed' | 'killed' | 'stalled' | 'api-error' | 'rate-limit' | 'usage-limit' | 'stopped' | 'closed-issue'
export interface WorkerEnd { kind: EndKind; detail: string; resetAt?: string }
export async function readEnd(r: SidequestRecord, _now: Date): Promise<WorkerEnd> {
  return {kind: r.exit_code === 0 ? 'completed' : 'crashed', detail: ''}
}

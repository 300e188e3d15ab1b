import type {WorkerSlot} from '../bootstrap/slots.js'
import type {Landing, PromptKind} from '../config/index.js'
import type {ForgeIssue} from '../forges/types.js'

export interface PromptInput {
  kind: PromptKind
  issue: Pick<ForgeIssue, 'forge' | 'owner' | 'repo' | 'number' | 'title' | 'body' | 'url' | 'apiUrl'>
  cwd: string
  branch: string
  defaultBranch: string
  landing: Landing
  /** Cascade budget of the worker (0 for headless). */
  depth: number
  /** The shell command that runs this dispatch, for cascade workers. */
  dispatchCommand: string
  /** The environment variable that holds the Forgejo token (config forgejo.tokenEnv). */
  forgejoTokenEnv?: string
  /** The worker's index and port (DISPATCH_WORKER_INDEX, DISPATCH_PORT). */
  slot?: WorkerSlot
}

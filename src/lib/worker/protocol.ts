import type {NotifyConfig} from '../notify.js'
import type {OutcomeForgeSpec} from '../outcome/finish.js'
import type {SidequestRecord} from '../registry/index.js'
import type {SandboxSpec} from '../sandbox/layout.js'

/** Everything the supervisor needs to run one worker. */
export interface WorkerSpec {
  claudeBin: string
  /** argv after the binary; never the prompt. */
  args: string[]
  /** Written to claude's stdin. The spec reaches the supervisor over IPC, so the prompt is in no argv. */
  prompt: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** Run claude confined (issue #20); absent: unsandboxed. */
  sandbox?: SandboxSpec
  logPath: string
  stateDir: string
  /** The record minus what only the supervisor knows (pid, start time). */
  record: Omit<SidequestRecord, 'pid' | 'pid_start_time'>
  notify?: NotifyConfig
  /** Where to look up the branch's pull request for the finish notification. */
  forges?: OutcomeForgeSpec
}

/** Messages between dispatch and the supervisor, over the IPC channel. */
export type SupervisorMessage =
  | {type: 'start'; spec: WorkerSpec}
  | {type: 'abort'; reason: string}
  | {type: 'started'; pid: number; record: SidequestRecord}
  | {type: 'spawn-error'; message: string}
  | {type: 'exited'; exitCode: number; record?: SidequestRecord}

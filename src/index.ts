/**
 * The library API of issue-dispatch, for tools that want to see what
 * dispatch workers are doing without starting the CLI.
 *
 * @example
 * import {Registry} from 'issue-dispatch'
 * const registry = new Registry({stateDir: '/home/me/.local/state/dispatch'})
 * const overlapping = await registry.conflicts('src/auth')
 */
export {Registry, findConflicts, isActive, recordKey, recordRepo, workerState, SCHEMA_VERSION} from './lib/registry/index.js'
export type {Conflict, Mode, PermissionDenials, RegistryOptions, RunnerKind, SidequestMode, SidequestRecord, WorkerState} from './lib/registry/index.js'
export type {ClaimTarget, ConflictReason, RepoRoot} from './lib/claims/index.js'
export {RootIndex, claimOverlap, canonicalPath, relativeOverlap} from './lib/claims/index.js'
export {parseIssueRef, formatRef} from './lib/issue-ref.js'
export type {IssueRef, ForgeKind} from './lib/issue-ref.js'
export type {EarlierAttempt, IssueEntry, StatusEntry} from './lib/status.js'
export type {StopOutcome, StoppedWorker} from './lib/stop.js'
export type {DenialWarning, RetryWarning, StartWarning} from './lib/worker/stream/index.js'
export type {SandboxWarning} from './lib/sandbox/index.js'

// The --json shapes of the commands (checked against test/fixtures/json-shapes/).
export type {JsonError} from './lib/errors.js'
export type {FanoutElement} from './lib/views/fanout.js'
export type {VersionInfo} from './fast.js'
export type {AttachResult} from './commands/attach.js'
export type {StatusResult} from './commands/status.js'
export type {PruneResult} from './commands/sidequests/prune.js'
export type {WorkerRow} from './lib/views/workers.js'
export type {ChecksState, OutcomePullRequest, PullRequestState, WorkerOutcome} from './lib/outcome/index.js'
export type {DoctorReport, Check} from './lib/doctor.js'
export type {ReapEntry} from './lib/reap/index.js'
export type {InitResult} from './lib/init.js'
export type {DryRunResult, HeadlessOutput} from './cli/dispatching.js'
export type {InteractiveOutput} from './commands/interactive.js'

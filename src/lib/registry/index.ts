export {SCHEMA_VERSION, recordKey, workerLabel, type Mode, type PermissionDenials, type RunnerKind, type SidequestMode, type SidequestRecord, type WorkerState} from './record.js'
export {isActive, workerState} from './liveness.js'
export {conflictsWith, findConflicts, recordRepo, recordRoots, type Conflict} from './conflicts.js'
export {Registry, type RegistryOptions} from './store.js'

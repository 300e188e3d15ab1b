/**
 * Claude Code's `--output-format stream-json --verbose` events: events.ts
 * parses them, health.ts says what they mean for a starting worker,
 * summary.ts reads the final result, render.ts shows them to a person. Pure
 * functions only.
 */
export {assistantText, parseLine, type StreamEvent} from './events.js'
export {healthSignal, type HealthSignal, type RetryWarning} from './health.js'
export {renderLine, renderTail, toolErrorReason} from './render.js'
export {summarise, type ResultSummary} from './summary.js'

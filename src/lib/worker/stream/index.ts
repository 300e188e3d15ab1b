/**
 * Claude Code's `--output-format stream-json --verbose` events: events.ts
 * parses them, health.ts says what they mean for a starting worker,
 * summary.ts reads the final result, render.ts shows them to a person. Pure
 * functions only.
 */
export {hasToolResult, refusals, resultDenials, toolUses, type Refusal} from './denials.js'
export {parseLine, type StreamEvent} from './events.js'
export {denialWarning, healthSignal, type DenialWarning, type RetryWarning, type StartWarning} from './health.js'
export {renderLine, renderTail} from './render.js'
export {summarise} from './summary.js'

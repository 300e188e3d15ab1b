import {Flags} from '@oclif/core'
import type {BooleanFlag, OptionFlag} from '@oclif/core/interfaces'

import {DISPATCH_COMMANDS, GLOBAL_FLAGS, type DispatchCommandId, type FlagSpec, type FlagTable} from './flag-table.js'

export {parseBudget} from './flag-table.js'

/** The oclif flag type a row of the table makes, so parsed flags keep their types. */
type OclifFlag<S> = S extends {type: 'boolean'}
  ? BooleanFlag<boolean>
  : S extends {type: 'integer'}
    ? OptionFlag<number | undefined>
    : S extends {multiple: true}
      ? OptionFlag<string[] | undefined>
      : S extends {default: string}
        ? OptionFlag<string>
        : OptionFlag<string | undefined>

/** One oclif flag from its row in src/cli/flag-table.ts. */
function oclifFlag(spec: FlagSpec): unknown {
  const common = {description: spec.description, ...(spec.helpValue ? {helpValue: spec.helpValue} : {}), ...(spec.exclusive ? {exclusive: [...spec.exclusive]} : {})}
  if (spec.type === 'boolean') return Flags.boolean({...common, allowNo: Boolean(spec.allowNo), ...(spec.default === undefined ? {} : {default: spec.default as boolean})})
  if (spec.type === 'integer') return Flags.integer({...common, ...(spec.min === undefined ? {} : {min: spec.min}), ...(spec.max === undefined ? {} : {max: spec.max})})
  const options = spec.options ? {options: [...spec.options]} : {}
  const fallback = spec.default === undefined ? {} : {default: spec.default as string}
  if (spec.multiple) return Flags.string({...common, ...options, multiple: true, multipleNonGreedy: true})
  return Flags.string({...common, ...options, ...fallback})
}

/** oclif's flag objects for a table, by the same names. */
export function oclifFlags<T extends FlagTable>(table: T): {[K in keyof T]: OclifFlag<T[K]>} {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, oclifFlag(spec)])) as {[K in keyof T]: OclifFlag<T[K]>}
}

/** `--config` (every command has it; `--json` is oclif's enableJsonFlag). */
export const baseFlags = oclifFlags({config: GLOBAL_FLAGS.config})
/** A dispatching command's flags, from DISPATCH_COMMANDS (the table the fast path reads too). */
export const commandFlags = <K extends DispatchCommandId>(id: K) => oclifFlags(DISPATCH_COMMANDS[id].flags as (typeof DISPATCH_COMMANDS)[K]['flags'])

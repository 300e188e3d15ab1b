/**
 * Shell completion of issue refs. @oclif/plugin-autocomplete generates the
 * bash and zsh completion of commands and flags; its scripts are static, so
 * they cannot know which issues have workers. dispatch adds one layer to each
 * generated script: where a command takes an issue ref, the completion asks
 * `dispatch autocomplete refs` (answered by the start-up fast path, no oclif,
 * no network) for the refs of active and recent workers, and leaves every
 * other position to the generated function.
 */
export {addRefLayers, refCommands} from './layers.js'
export {RECENT_REF_WINDOW_MS, completionRefs, refsToComplete} from './refs.js'
export {SHELLS, autocompleteSetup, renderSetup, type AutocompleteSetup, type Shell} from './setup.js'

/**
 * The ref layer dispatch adds to the completion @oclif/plugin-autocomplete
 * generates: where a command takes an issue ref, ask `dispatch autocomplete
 * refs`; everywhere else, the generated function.
 */
import {readFile, writeFile} from 'node:fs/promises'

import {FailureError} from '../errors.js'
import {autocompleteSetup} from './setup.js'

/** A command whose first argument is an issue ref, and its flags that take a value (the word after one is no ref). */
export interface RefCommand {
  /** Space-separated, as typed: `status`. */
  words: string
  valueFlags: string[]
}

/** The shape of oclif's command metadata this module reads. */
export interface CommandMeta {
  id: string
  hidden?: boolean
  args?: Record<string, unknown>
  flags?: Record<string, {type: string; char?: string; hidden?: boolean}>
}

/** The commands that take an issue ref, from oclif's command metadata. Pure. */
export function refCommands(commands: readonly CommandMeta[]): RefCommand[] {
  return commands
    .filter((c) => !c.hidden && Object.keys(c.args ?? {})[0] === 'ref' && !c.id.includes(':'))
    .map((c) => ({
      words: c.id,
      valueFlags: Object.entries(c.flags ?? {})
        .filter(([, f]) => f.type === 'option')
        .flatMap(([name, f]) => [`--${name}`, ...(f.char ? [`-${f.char}`] : [])])
        .sort(),
    }))
    .sort((a, b) => a.words.localeCompare(b.words))
}

const REF_LAYER_MARK = '# dispatch: issue refs where a command takes one'

/**
 * Appended to the generated bash function file: a wrapper that offers refs in
 * a ref position and hands everything else to the generated function.
 * NOTE: refs are matched with [[ == ]] against a quoted prefix, never through
 * `compgen -W`, which would expand `$(...)` in the words it is given.
 */
function bashRefLayer(bin: string, commands: readonly RefCommand[]): string {
  const fn = `_${bin}_autocomplete`
  const cases = commands.map((c) => `    ${c.words}) vflags=" ${c.valueFlags.join(' ')} " ;;`).join('\n')
  return `
${REF_LAYER_MARK} (status, attach, ...): the refs of active and recent
# workers, from \`${bin} autocomplete refs\`; everything else as generated above.
_${bin}_complete()
{
  local cur="\${COMP_WORDS[COMP_CWORD]}" vflags w i ref config="" skip=0 flag="" positional=0
  if (( COMP_CWORD < 2 )) || [[ "$cur" == -* || "$cur" == "=" ]]; then ${fn} "$@"; return; fi
  case "\${COMP_WORDS[1]}" in
${cases}
    *) ${fn} "$@"; return ;;
  esac
  # Is the current word the first argument? Skip flags and the values of
  # flags that take one (bash splits --flag=value into three words).
  for (( i = 2; i < COMP_CWORD; i++ )); do
    w="\${COMP_WORDS[i]}"
    if (( skip )); then
      [[ "$w" == "=" ]] && continue
      skip=0
      [[ "$flag" == --config ]] && config="$w"
      continue
    fi
    case "$w" in
      --config=*) config="\${w#--config=}" ;;
      -*=*|=) ;;
      -*) [[ "$vflags" == *" $w "* ]] && { skip=1; flag="$w"; } ;;
      *) (( positional++ )) ;;
    esac
  done
  if (( skip || positional > 0 )); then ${fn} "$@"; return; fi
  COMPREPLY=()
  while IFS= read -r ref; do
    [[ "$ref" == "$cur"* ]] && COMPREPLY+=("$ref")
  done < <(command ${bin} autocomplete refs \${config:+--config "$config"} 2>/dev/null)
  # Newest first (bash 4.4+; older ones sort).
  compopt -o nosort 2>/dev/null
  return 0
}

complete -F _${bin}_complete ${bin}
`
}

/**
 * Replaces the final call of the generated zsh function file: the generated
 * `_<bin>` is kept as `_<bin>_commands`, and `_<bin>` becomes a wrapper that
 * offers refs in a ref position. `compadd` quotes `#` (a glob character under
 * EXTENDED_GLOB) in what it inserts.
 */
function zshRefLayer(bin: string, commands: readonly RefCommand[]): string {
  const cases = commands.map((c) => `    ${c.words}) vflags=(${c.valueFlags.join(' ')}) ;;`).join('\n')
  return `
${REF_LAYER_MARK} (status, attach, ...): the refs of active and recent
# workers, from \`${bin} autocomplete refs\`; everything else as generated above.
functions[_${bin}_commands]=$functions[_${bin}]
_${bin}() {
  local cur=\${words[CURRENT]} w config= flag= expl
  local -i i skip=0 positional=0
  local -a vflags refs
  if (( CURRENT < 3 )) || [[ $cur == -* ]]; then _${bin}_commands "$@"; return; fi
  case \${words[2]} in
${cases}
    *) _${bin}_commands "$@"; return ;;
  esac
  for (( i = 3; i < CURRENT; i++ )); do
    w=\${words[i]}
    if (( skip )); then
      skip=0
      [[ $flag == --config ]] && config=\${(Q)w}
      continue
    fi
    case $w in
      --config=*) config=\${(Q)w#--config=} ;;
      -*=*) ;;
      -*) (( \${vflags[(Ie)$w]} )) && { skip=1; flag=$w } ;;
      *) (( positional++ )) ;;
    esac
  done
  if (( skip || positional > 0 )); then _${bin}_commands "$@"; return; fi
  refs=(\${(f)"$(command ${bin} autocomplete refs \${config:+--config} \${config:+"$config"} 2>/dev/null)"})
  (( \${#refs} )) || return 1
  _description -V issue-refs expl 'issue ref'
  compadd "\${expl[@]}" -a refs
}

_${bin} "$@"
`
}

/**
 * Add the ref layer to the files @oclif/plugin-autocomplete just generated
 * under `cacheDir/autocomplete`. The plugin rewrites them whole every time,
 * so this runs after each generation and never finds its own layer.
 */
export async function addRefLayers(cacheDir: string, bin: string, commands: readonly RefCommand[]): Promise<void> {
  const bash = autocompleteSetup('bash', bin, cacheDir).function_path
  const zsh = autocompleteSetup('zsh', bin, cacheDir).function_path
  const bashText = await readFile(bash, 'utf8')
  if (!bashText.includes(REF_LAYER_MARK)) await writeFile(bash, bashText.trimEnd() + '\n' + bashRefLayer(bin, commands))
  const zshText = await readFile(zsh, 'utf8')
  if (zshText.includes(REF_LAYER_MARK)) return
  // The generated file is the body of the autoloaded `_<bin>`: it defines the function, then calls it.
  const call = new RegExp(`\\n_${bin}\\s*$`)
  if (!call.test(zshText)) {
    throw new FailureError(`The zsh completion ${zsh} does not end with the call to _${bin} that @oclif/plugin-autocomplete used to write, so issue refs can't be added to it.`, 'Report this with the version of @oclif/plugin-autocomplete; command and flag completion still work.')
  }
  await writeFile(zsh, zshText.replace(call, '\n') + zshRefLayer(bin, commands))
}

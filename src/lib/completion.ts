/**
 * Shell completion of issue refs. @oclif/plugin-autocomplete generates the
 * bash and zsh completion of commands and flags; its scripts are static, so
 * they cannot know which issues have workers. dispatch adds one layer to each
 * generated script: where a command takes an issue ref, the completion asks
 * `dispatch autocomplete refs` (answered by the start-up fast path, no oclif,
 * no network) for the refs of active and recent workers, and leaves every
 * other position to the generated function.
 */
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {loadConfig} from './config/index.js'
import {FailureError} from './errors.js'
import {formatRef, parseIssueRef} from './issue-ref.js'
import {Registry, isActive, type SidequestRecord} from './registry/index.js'
import {unaskedScheduler} from './runners/slurm-scheduler.js'

/** Workers started this recently are offered even when they have ended. */
export const RECENT_REF_WINDOW_MS = 7 * 24 * 60 * 60 * 1000

export const SHELLS = ['bash', 'zsh', 'powershell'] as const
export type Shell = (typeof SHELLS)[number]

/**
 * Refs to offer: those of active workers and of workers started within
 * `windowMs`, newest first, each once (owner/repo compared case-insensitively,
 * the newest spelling kept). Anything that is not a canonical `owner/repo#N`
 * is left out: shells insert these words into command lines. Pure.
 */
export function completionRefs(
  records: ReadonlyArray<Pick<SidequestRecord, 'ref' | 'started_at' | 'pid'>>,
  now: Date,
  windowMs: number,
  active: (record: Pick<SidequestRecord, 'ref' | 'started_at' | 'pid'>) => boolean,
): string[] {
  const since = now.getTime() - windowMs
  const seen = new Set<string>()
  const out: string[] = []
  const newestFirst = records
    .filter((r) => isCanonicalRef(r.ref) && (Date.parse(r.started_at) >= since || active(r)))
    .sort((a, b) => b.started_at.localeCompare(a.started_at) || b.pid - a.pid)
  for (const r of newestFirst) {
    const key = r.ref.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    out.push(r.ref)
  }
  return out
}

function isCanonicalRef(ref: string): boolean {
  try {
    return formatRef(parseIssueRef(ref, {githubWebUrl: 'https://github.com'})) === ref
  } catch {
    return false
  }
}

/**
 * What `dispatch autocomplete refs` prints. Never fails: it runs on every TAB,
 * where an error message would land in the middle of the command line, so any
 * trouble (no config, a broken one, no state dir) means no refs.
 */
export async function refsToComplete(opts: {configPath?: string; cwd: string; env: NodeJS.ProcessEnv; now?: Date}): Promise<string[]> {
  try {
    const config = await loadConfig({configPath: opts.configPath, cwd: opts.cwd, env: opts.env, warn: () => {}, readOnly: true})
    // A TAB never waits on a Slurm controller.
    const records = await new Registry({stateDir: config.stateDir, scheduler: unaskedScheduler}).all()
    return completionRefs(records, opts.now ?? new Date(), RECENT_REF_WINDOW_MS, (r) => isActive(r as SidequestRecord))
  } catch {
    return []
  }
}

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
export function bashRefLayer(bin: string, commands: readonly RefCommand[]): string {
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
export function zshRefLayer(bin: string, commands: readonly RefCommand[]): string {
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

/** Where a shell's completion lives in oclif's cache dir, and the line that loads it. Pure. */
export interface AutocompleteSetup {
  shell: Shell
  /** The line to add to `rc_file`; the same line `dispatch autocomplete script <shell>` prints. */
  setup: string
  rc_file: string
  /** The script `setup` loads, rebuilt by `dispatch autocomplete`. */
  script_path: string
  /** The completion function that script loads. */
  function_path: string
  /** Whether positional issue refs are completed too (bash and zsh), not only commands and flags. */
  completes_refs: boolean
}

export function autocompleteSetup(shell: Shell, bin: string, cacheDir: string): AutocompleteSetup {
  const dir = path.join(cacheDir, 'autocomplete')
  if (shell === 'powershell') {
    const file = path.join(dir, 'functions', 'powershell', `${bin}.ps1`)
    return {shell, setup: `. ${file}`, rc_file: '$PROFILE', script_path: file, function_path: file, completes_refs: false}
  }
  // The same line @oclif/plugin-autocomplete's `script` command printed, so rc files written with it keep working.
  const envVar = `${bin.toUpperCase().replaceAll('-', '_')}_AC_${shell.toUpperCase()}_SETUP_PATH`
  const script = path.join(dir, `${shell}_setup`)
  return {
    shell,
    setup: `${envVar}=${script} && test -f $${envVar} && source $${envVar}; # ${bin} autocomplete setup`,
    rc_file: shell === 'bash' ? '~/.bashrc' : '~/.zshrc',
    script_path: script,
    function_path: shell === 'bash' ? path.join(dir, 'functions', 'bash', `${bin}.bash`) : path.join(dir, 'functions', 'zsh', `_${bin}`),
    completes_refs: true,
  }
}

/** How to install completion, for people. Pure. */
export function renderSetup(s: AutocompleteSetup, bin: string): string {
  const tab = s.shell === 'bash' ? '<TAB><TAB>' : '<TAB>'
  const add =
    s.shell === 'powershell'
      ? `Add-Content -Path $PROFILE -Value (Invoke-Expression -Command "${bin} autocomplete script powershell"); .$PROFILE`
      : `printf '%s\\n' "$(${bin} autocomplete script ${s.shell})" >> ${s.rc_file}; source ${s.rc_file}`
  const lines = [
    `Add this line to ${s.rc_file}${s.shell === 'bash' ? ' (a login shell may read ~/.bash_profile or ~/.profile instead)' : ''}:`,
    '',
    `  ${s.setup}`,
    '',
    'for example with:',
    '',
    `  ${add}`,
    '',
    `Then \`${bin} ${tab}\` completes commands and \`${bin} status --${tab}\` flags.`,
    ...(s.completes_refs
      ? [`Where a command takes an issue ref (status, attach, stop, headless, cascade, interactive), \`${bin} status ${tab}\` offers the refs of active workers and of workers started in the last 7 days, newest first.`]
      : []),
    ...(s.shell === 'zsh' ? ['If zsh warns about insecure directories, run: compaudit'] : []),
    `After upgrading ${bin}, run \`${bin} autocomplete --refresh-cache\` to pick up new commands and flags.`,
  ]
  return lines.join('\n') + '\n'
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

/** Where each shell's completion lives and how to install it. */
import path from 'node:path'

export const SHELLS = ['bash', 'zsh', 'powershell'] as const
export type Shell = (typeof SHELLS)[number]

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

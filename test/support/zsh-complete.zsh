# Drive zsh's real completion system the way a person at a terminal does.
# Usage: zsh -f zsh-complete.zsh <out-file> <buffer>...
# Starts an interactive zsh on a pseudo-terminal, loads completion with the rc
# line `dispatch autocomplete script zsh` prints, then types each buffer and
# TAB. <out-file> gets, per buffer: `buffer:<text>`, one `match:<word>` per
# match offered, `end`, then `line:<command line after the TAB>` and `done`.
zmodload zsh/zpty || exit 3
out=$1; shift
: > $out
# Wait (bounded: 180 s, for a loaded machine) until <out-file> has $1 lines
# that are exactly $2, draining the terminal meanwhile so the shell never
# blocks on a full pty.
await() {
  local -i deadline=$(( SECONDS + 180 )); local junk
  while (( SECONDS < deadline )); do
    while zpty -r -t z junk; do :; done
    (( $(grep -cx -- "$2" $out) >= $1 )) && return 0
    sleep 0.05
  done
  print -u2 "zsh-complete: timed out waiting for '$2' #$1"; zpty -d z; exit 4
}
zpty -b z zsh -f -i
zpty -w z "PS1='' PROMPT='' RPROMPT=''"
zpty -w z 'eval "$(dispatch autocomplete script zsh)"'
# Record every match the completion functions add, then add it as usual.
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -rl -- \"match:\"\${^m} >> ${(q)out}; builtin compadd \"\$@\" }"
zpty -w z "_capture_complete() { _main_complete; print -r -- end >> ${(q)out} }; zle -C capture-complete complete-word _capture_complete; bindkey '^I' capture-complete"
zpty -w z "_capture_line() { print -rl -- \"line:\$BUFFER\" done >> ${(q)out} }; zle -N _capture_line; bindkey '^X' _capture_line; print -r -- ready >> ${(q)out}"
await 1 ready
integer n=0
for buf in "$@"; do
  print -r -- "buffer:$buf" >> $out
  zpty -wn z "$buf"$'\t'
  await $(( ++n )) end
  zpty -wn z $'\C-x'
  await $n done
  zpty -w z $'\C-u'
done
zpty -d z

/** Quote one word for a POSIX shell. Safe words stay bare; everything else is single-quoted. Pure. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}

export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ')
}

/** What a view needs to know about where its text goes. */
export interface TerminalFacts {
  tty: boolean
  width?: number
  now: Date
  /** Whether colour is wanted (a TTY and no NO_COLOR); see useColor in ../terminal.ts. */
  color?: boolean
}

/**
 * A view's text, per stream: data on stdout, status and warnings on stderr.
 * Each is empty or whole lines ending in a newline.
 */
export interface Rendered {
  stdout: string
  stderr: string
}

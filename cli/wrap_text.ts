/**
 * Word wrapping for terminal output (`--help`): lines never exceed the width, words
 * longer than a line are cut.
 *
 * @module
 */

/** Columns of the terminal stdout writes to; 80 when it is not a terminal. */
export function terminalWidth(): number {
  try {
    if (Deno.stdout.isTerminal()) return Deno.consoleSize().columns;
  } catch {
    // No console size to read (a pseudo-terminal without one): the default below.
  }
  return 80;
}

/**
 * `text` broken at spaces (not at no-break spaces) into lines of at most `width` characters, each after the first
 * prefixed with `indent` (which counts toward the width); a word longer than a line is cut.
 *
 * @example
 * ```ts
 * import { wrapText } from "./wrap_text.ts";
 * console.log(wrapText("one two three", 7)); // ["one two", "three"]
 * ```
 */
export function wrapText(text: string, width: number, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  const room = () => width - (lines.length ? indent.length : 0);
  const push = () => {
    lines.push((lines.length ? indent : "") + line);
    line = "";
  };
  for (let word of text.split(/[ \t\r\n]+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length <= room()) {
      line += " " + word;
      continue;
    }
    if (line !== "") push();
    while (word.length > room()) {
      line = word.slice(0, room());
      word = word.slice(room());
      push();
    }
    line = word;
  }
  if (line !== "" || lines.length === 0) push();
  return lines;
}

// Pure. Text that came from a task, made safe to show on a terminal or in a report: its control
// characters are written out visibly (ESC as `\x1b`), so that colours, title changes, screen
// clears, carriage-return overwrites, bells or bidirectional overrides cannot hide text from a reviewer.

// C0 controls but tab and line feed, DEL, C1 controls, and the Unicode bidi controls (a right-to-left
// override reorders what a reviewer reads, as in "Trojan Source").
const MULTILINE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const ONE_LINE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r" };

function visible(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED[char] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/**
 * `text` with every control character escaped visibly. Tabs stay; line feeds stay unless
 * `oneLine` (a log line, an evidence string), where they become `\n`. A backslash the task printed
 * is left as it is: the escapes are for reading, not for decoding back.
 *
 * @example printable("\x1b[2J\x1b]0;owned\x07done\r") // "\\x1b[2J\\x1b]0;owned\\x07done\\r"
 */
export function printable(text: string, options: { oneLine?: boolean } = {}): string {
  return text.replace(options.oneLine ? ONE_LINE : MULTILINE, visible);
}

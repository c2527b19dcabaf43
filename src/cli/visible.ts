/**
 * Job output printed to a terminal (SPEC §18): a job's log is anybody's
 * text, and escape sequences in it can rewrite the screen, the window
 * title or the clipboard of whoever reads it. So every control character
 * but newline and tab is shown instead of sent (`^[` for ESC, as `cat -v`
 * does), and so are the bidirectional overrides that reorder what a line
 * seems to say. `--raw` prints the text as it is.
 */

/** C0 controls but tab and newline, DEL, C1 controls, and the bidi overrides and isolates. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  if (code < 0xa0) return `M-^${String.fromCharCode(code - 0x80 + 0x40)}`;
  return `<U+${code.toString(16).toUpperCase()}>`;
}

/** `text` with its control characters made visible. */
export function visibleControls(text: string): string {
  return text.replace(CONTROLS, visible);
}

/**
 * A log line as the UI shows it: its time, its source, its text without
 * terminal control sequences. The chunks become lines in the byte-offset
 * core (src/shared/log-bytes.ts). Pure; no DOM.
 */
export type LineSource = 'agent' | 'job' | 'stdout' | 'stderr' | 'file';

export interface LogLine {
  time: string;
  source: LineSource | null;
  text: string;
}

const LINE_RE = /^(\S+) (agent|job|stdout|stderr|file) (.*)$/;
const ANSI_RE = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function parseLine(raw: string): LogLine {
  const m = LINE_RE.exec(raw);
  if (!m) return { time: '', source: null, text: raw.replace(ANSI_RE, '') };
  return {
    time: m[1] as string,
    source: m[2] as LineSource,
    text: (m[3] as string).replace(ANSI_RE, ''),
  };
}

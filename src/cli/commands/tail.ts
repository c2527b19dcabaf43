/**
 * `jobtree tail JOB [-f]` (SPEC §8): prints a job's log from any node.
 * With -f it follows over socket.io until the job is over, and after a
 * dropped connection resubscribes from the last byte it printed, so no
 * line is printed twice or missed.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../../logstream/events.js';
import { type ApiClient, CliError, EXIT } from '../client.js';
import { LineSplitter } from '../../shared/log-bytes.js';
import { visibleControls } from '../visible.js';

export interface TailOptions {
  offset?: string;
  follow?: boolean;
  /** Print the log as it is, control sequences and all (SPEC §18). */
  raw?: boolean;
}

function parseOffset(raw: string | undefined): number {
  const offset = raw ?? '0';
  if (!/^-?\d+$/.test(offset))
    throw new CliError(`--offset wants an integer, got "${offset}"`, EXIT.USAGE);
  return Number(offset);
}

/** Follows over socket.io; resolves with the exit code. */
function follow(
  server: string,
  token: string | undefined,
  job: string,
  offset: number,
  write: (text: string) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const socket: Socket<ServerToClient, ClientToServer> = io(server, {
      auth: token ? { token } : {},
      transports: ['websocket'],
      reconnectionDelayMax: 2000,
    });
    // every byte printed once: a resubscription's repeat is trimmed, a gap asks again
    const bytes = new LineSplitter(offset);
    let everConnected = false;
    const finish = (code: number, message?: string): void => {
      if (message) process.stderr.write(`jobtree: ${message}\n`);
      socket.close();
      resolve(code);
    };
    socket.on('connect', () => {
      everConnected = true;
      socket.emit('log:subscribe', { job, offset: bytes.next });
    });
    socket.on('connect_error', (err) => {
      if (err.message === 'UNAUTHORIZED') finish(EXIT.USAGE, 'the server refused the token');
      else if (!everConnected) finish(EXIT.UNREACHABLE, `cannot reach ${server}: ${err.message}`);
    });
    socket.on('log:data', (m) => {
      if (m.job !== job) return;
      const fresh = bytes.take(m.offset, m.data);
      if (fresh === null) socket.emit('log:subscribe', { job, offset: bytes.next });
      else if (fresh !== '') write(fresh);
    });
    socket.on('log:end', (m) => {
      if (m.job === job) finish(EXIT.OK);
    });
    socket.on('log:error', (m) => {
      if (m.job !== job) return;
      const code =
        m.code === 'NOT_FOUND'
          ? EXIT.NOT_FOUND
          : m.code === 'BAD_REQUEST'
            ? EXIT.USAGE
            : EXIT.UNREACHABLE;
      finish(code, `${m.code}: ${m.message}`);
    });
  });
}

export async function tail(
  client: ApiClient,
  id: string,
  opts: TailOptions,
  write: (text: string) => void,
): Promise<number> {
  const offset = parseOffset(opts.offset);
  const out = opts.raw ? write : (text: string) => write(visibleControls(text));
  if (opts.follow) return follow(client.server, client.token, id, offset, out);
  const res = await client.text(`/api/v1/jobs/${encodeURIComponent(id)}/log?offset=${offset}`);
  out(res.body);
  return EXIT.OK;
}

/**
 * The CLI's HTTP client: every client command talks to an agent's API only
 * (STYLE: src/cli). Failures become CliError with the exit codes of SPEC §8.
 */
export const EXIT = Object.freeze({
  OK: 0,
  TREE_FAILED: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  UNREACHABLE: 4,
});

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  server: string;
  token?: string | undefined;
}

export class ApiClient {
  constructor(private readonly options: ClientOptions) {}

  get token(): string | undefined {
    return this.options.token;
  }

  get server(): string {
    return this.options.server.replace(/\/+$/, '');
  }

  /** Sends a request; resolves with the status and parsed body. Throws CliError on transport errors. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    accept = 'application/json',
    contentType = 'application/json',
  ): Promise<{ status: number; body: T; headers: Headers }> {
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = contentType;
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.server}${path}`, {
        method,
        headers,
        ...(body !== undefined
          ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
          : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach ${this.server}: ${cause}`, EXIT.UNREACHABLE);
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON after all (a proxy's error page): keep the text
      }
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** A GET whose body is text (a job log); non-2xx answers become CliErrors. */
  async text(path: string): Promise<{ body: string; headers: Headers }> {
    const res = await this.request<unknown>('GET', path, undefined, 'text/plain');
    if (res.status >= 200 && res.status < 300)
      return { body: String(res.body ?? ''), headers: res.headers };
    throw this.failure(res.status, res.body);
  }

  /** Sends a body of any type; a non-2xx answer becomes a CliError; resolves with status and body. */
  async send<T>(
    method: string,
    path: string,
    body: string,
    contentType = 'application/json',
  ): Promise<{ status: number; body: T }> {
    const res = await this.request<T>(method, path, body, 'application/json', contentType);
    if (res.status >= 200 && res.status < 300) return res;
    throw this.failure(res.status, res.body);
  }

  /** Like request, but any non-2xx answer becomes a CliError with a fitting exit code. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, path, body);
    if (res.status >= 200 && res.status < 300) return res.body;
    throw this.failure(res.status, res.body);
  }

  private failure(status: number, body: unknown): CliError {
    const res = { status, body };
    const err = (res.body as { error?: { code?: string; message?: string; path?: string } } | null)
      ?.error;
    const what = err
      ? `${err.code}: ${err.message}${err.path ? ` (at ${err.path})` : ''}`
      : `HTTP ${res.status}`;
    const code =
      res.status === 404
        ? EXIT.NOT_FOUND
        : res.status === 503 || res.status >= 500
          ? EXIT.UNREACHABLE
          : EXIT.USAGE;
    return new CliError(what, code);
  }
}

import http from 'node:http';
import net from 'node:net';

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { [k: string]: unknown };
}

/** One JSON call against a server started as a process (fetch, no keep-alive assumptions). */
export async function call(base: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

export interface Outcome {
  /** performance.now() just before the request was written */
  sentAt: number;
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body?: string;
  /** the response arrived whole (its Content-Length matched what was read) */
  complete: boolean;
  error?: string;
  /** the request went out on a kept-alive socket that had served an earlier request */
  reusedSocket: boolean;
}

/** A GET over a keep-alive agent that records exactly how it ended. */
export function timedGet(agent: http.Agent, url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const sentAt = performance.now();
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const declared = res.headers['content-length'];
        const complete = declared === undefined || Buffer.byteLength(body) === Number(declared);
        resolve({ sentAt, status: res.statusCode, headers: res.headers, body, complete, reusedSocket: req.reusedSocket });
      });
      res.on('aborted', () => resolve({ sentAt, status: res.statusCode, complete: false, error: 'aborted', reusedSocket: req.reusedSocket }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ sentAt, complete: false, error: err.code ?? err.message, reusedSocket: req.reusedSocket }));
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A raw HTTP/1.1 connection, for what fetch cannot do: keep a request in flight on a socket and
 * pipeline another one behind it. Responses are parsed from the bytes once the server closes.
 */
export function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let data = Buffer.alloc(0);
  socket.on('data', (d) => (data = Buffer.concat([data, d])));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => {});
  return {
    send(method: string, path: string, headers: Record<string, string>, body?: string): void {
      const lines = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
    },
    closed,
    responses(): RawResponse[] {
      const out: RawResponse[] = [];
      let rest = data;
      while (rest.length > 0) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) break;
        const [statusLine, ...headerLines] = rest.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const length = Number(headers['content-length'] ?? 0);
        out.push({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.subarray(end + 4, end + 4 + length).toString('utf8') });
        rest = rest.subarray(end + 4 + length);
      }
      return out;
    },
    destroy: () => socket.destroy(),
  };
}

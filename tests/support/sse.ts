import http from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** every event received so far, in order */
  events: SseEvent[];
  /** comment lines (without the leading colon) and `retry:` values, in order */
  comments: string[];
  retry: number | undefined;
  /** the body of a non-200 answer */
  body: () => string;
  /** resolves once `predicate` holds for the events received (checked on every chunk) */
  waitFor: (predicate: (events: SseEvent[], comments: string[]) => boolean) => Promise<void>;
  /** resolves when the server ends the response or the connection closes */
  ended: Promise<void>;
  /** the client goes away (destroys its socket) */
  close: () => void;
}

/** A minimal EventSource over node:http that records everything it receives. */
export function openSse(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${baseUrl}${path}`, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      let raw = '';
      const waiters: { predicate: (e: SseEvent[], c: string[]) => boolean; resolve: () => void }[] = [];
      let endedResolve!: () => void;
      const ended = new Promise<void>((r) => (endedResolve = r));
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        comments: [],
        retry: undefined,
        body: () => raw,
        waitFor: (predicate) =>
          new Promise<void>((r, rej) => {
            if (predicate(client.events, client.comments)) return r();
            waiters.push({ predicate, resolve: r });
            void ended.then(() => {
              if (!predicate(client.events, client.comments)) rej(new Error(`stream ended before the condition held; got ${JSON.stringify(client.events)}`));
            });
          }),
        ended,
        close: () => {
          req.destroy();
          res.destroy();
        },
      };
      const check = () => {
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i]!.predicate(client.events, client.comments)) waiters.splice(i, 1)[0]!.resolve();
        }
      };
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const ev: SseEvent = { id: undefined, event: undefined, data: '' };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else if (line.startsWith('retry: ')) client.retry = Number(line.slice(7));
            else if (line.startsWith('id: ')) ev.id = line.slice(4);
            else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) {
              ev.data += (isEvent ? '\n' : '') + line.slice(6);
              isEvent = true;
            }
          }
          if (isEvent) client.events.push(ev);
        }
        check();
      });
      res.on('close', endedResolve);
      res.on('end', endedResolve);
      res.on('error', endedResolve);
      resolve(client);
    });
    req.on('error', reject);
  });
}

/** Polls a condition on real time (for state outside any stream, e.g. subscriber counts). */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, attempts = 400): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

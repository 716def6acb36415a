import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  /** the raw body, exactly as signed */
  body: string;
}

/**
 * A local HTTP server that records what it receives. Each path answers with the statuses queued
 * for it (then 200), or 'hang' to never answer.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly plans = new Map<string, (number | 'hang')[]>();
  private readonly server: Server;
  private readonly hanging = new Set<() => void>();

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const next = this.plans.get(path)?.shift() ?? 200;
        if (next === 'hang') {
          this.hanging.add(() => res.destroy());
          return;
        }
        res.writeHead(next, { 'content-type': 'text/plain' }).end(next < 300 ? 'ok' : 'nope');
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Answers for the next requests to this path, in order. */
  plan(path: string, ...statuses: (number | 'hang')[]): void {
    this.plans.set(path, [...(this.plans.get(path) ?? []), ...statuses]);
  }

  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const release of this.hanging) release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

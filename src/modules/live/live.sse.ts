import { PassThrough } from 'node:stream';
import type { ListingEventRow } from './live.repo.js';
import type { Subscriber, Subscription } from './live.hub.js';
import { sseFrame } from './live.schemas.js';

export interface SseOptions {
  /** a comment line this often keeps proxies and load balancers from closing an idle stream */
  heartbeatMs: number;
  /** the reconnection delay suggested to EventSource clients */
  retryMs: number;
  /** a client that stops reading is cut off past this much unsent output; it resumes with Last-Event-ID */
  maxBufferedBytes?: number;
}

/**
 * The transport side of one SSE response: a PassThrough that Fastify pipes to the socket, the
 * heartbeat timer, and the Subscriber the hub delivers to. Transport time (heartbeats) is real
 * time, not the business clock.
 */
export function createSseStream(opts: SseOptions) {
  const maxBuffered = opts.maxBufferedBytes ?? 1_048_576;
  const stream = new PassThrough();
  let subscription: Subscription | null = null;
  let finished = false;

  const write = (chunk: string): void => {
    if (finished || stream.destroyed) return;
    stream.write(chunk);
    if (stream.writableLength > maxBuffered) finish();
  };

  const heartbeat = setInterval(() => write(': heartbeat\n\n'), opts.heartbeatMs);
  heartbeat.unref();

  function finish(): void {
    if (finished) return;
    finished = true;
    clearInterval(heartbeat);
    subscription?.close();
    stream.end();
  }

  // Fastify destroys the stream when the client goes away; ending it ourselves also lands here.
  stream.on('close', finish);
  write(`retry: ${opts.retryMs}\n\n`);

  const subscriber: Subscriber = {
    deliver: (row: ListingEventRow) => write(sseFrame(row)),
    end: finish,
  };

  return {
    stream,
    subscriber,
    /** Ties the hub's subscription to this stream's life. */
    attach(s: Subscription): void {
      subscription = s;
      if (finished) s.close();
    },
    /** The stream was never sent (the subscription was refused). */
    discard(): void {
      finish();
      stream.destroy();
    },
  };
}

import type { Settled } from '../../lib/idempotency.js';

/**
 * Group commit at the application level, per auction and per process. An auction's bids are
 * serialised on its row lock and each transaction waits for its WAL flush while holding it
 * (3–4 ms per flush on the benchmark disk), so one transaction per bid caps an auction at a few
 * hundred durable bids per second whatever the CPU. Requests for one auction are therefore
 * queued here and handed to `run` together: one transaction, one lock, one flush for the lot.
 *
 * - A request arriving while no batch of its auction is running starts one at once, alone: an
 *   idle auction adds no latency. Batches form only from what arrives while a transaction is in
 *   flight, and the next one starts as soon as the previous one has committed and answered.
 * - A batch holds at most `maxBatch` requests (a bounded statement and a bounded lock hold).
 * - `run` settles every request of the batch; if it throws (the transaction failed, the commit
 *   included), every request of the batch gets that error: none is answered before the commit.
 * - Processes do not share queues; their batches still take turns on the row lock.
 */
export function createCombiner<Request, Outcome>(opts: { maxBatch: number; run: (key: string, requests: Request[]) => Promise<Settled<Outcome>[]> }) {
  interface Waiting {
    request: Request;
    resolve: (outcome: Outcome) => void;
    reject: (error: unknown) => void;
  }
  const queues = new Map<string, Waiting[]>();
  const stats = { batches: 0, requests: 0, largest: 0 };

  async function drain(key: string, queue: Waiting[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, opts.maxBatch);
      stats.batches++;
      stats.requests += batch.length;
      stats.largest = Math.max(stats.largest, batch.length);
      let settled: Settled<Outcome>[];
      try {
        settled = await opts.run(
          key,
          batch.map((w) => w.request),
        );
        if (settled.length !== batch.length) throw new Error(`a batch of ${batch.length} settled ${settled.length} requests`);
      } catch (error) {
        settled = batch.map(() => ({ ok: false, error }));
      }
      batch.forEach((w, i) => {
        const s = settled[i]!;
        if (s.ok) w.resolve(s.value);
        else w.reject(s.error);
      });
    }
    queues.delete(key);
  }

  return {
    /** Queues a request for its key's next batch; settles when that batch has committed (or failed). */
    submit(key: string, request: Request): Promise<Outcome> {
      return new Promise<Outcome>((resolve, reject) => {
        const running = queues.get(key);
        if (running) {
          running.push({ request, resolve, reject });
          return;
        }
        const queue: Waiting[] = [{ request, resolve, reject }];
        queues.set(key, queue);
        void drain(key, queue);
      });
    },

    /** Requests waiting for a batch (not those in the running one). */
    waiting: (key: string): number => queues.get(key)?.length ?? 0,

    /** Batches run so far, the requests they held, and the largest: whether batches form at all. */
    stats: () => ({ ...stats }),
  };
}

import { AppError } from './errors.js';

/**
 * Fixed-window counters in process memory. Right for one instance; with several instances behind
 * a load balancer the counters must move to a shared store (see README, Decisions).
 * Real time on purpose: a sandbox clock jump must not unlock a rate limit.
 */
export class WindowLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Counts a hit; throws 429 RATE_LIMITED with Retry-After once the window's budget is spent. */
  hit(key: string, now = Date.now()): void {
    if (this.windows.size > 50_000) this.prune(now);
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    if (w.count > this.max) {
      const retryAfter = Math.max(1, Math.ceil((w.resetAt - now) / 1000));
      throw new AppError(429, 'RATE_LIMITED', `Too many attempts; retry in ${retryAfter} s`, undefined, { 'retry-after': String(retryAfter) });
    }
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}

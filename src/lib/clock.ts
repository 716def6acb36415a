/** Business time. Tests and the sandbox clock replace it; business code never calls Date.now(). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date = new Date()) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date | string): void {
    this.current = new Date(at);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * The sandbox clock (SANDBOX_CLOCK=true): another clock (real time in the server) moved forward by
 * an offset that the database holds for every process. The offset only grows, so business time
 * never runs backward in a process, whichever update arrives first (a move made here, or a reload
 * of an older committed value while that move is still in its transaction).
 */
export class OffsetClock implements Clock {
  private offset = 0;
  constructor(private readonly base: Clock = systemClock) {}
  now(): Date {
    return new Date(this.base.now().getTime() + this.offset);
  }
  offsetMs(): number {
    return this.offset;
  }
  /** Raises the offset to `ms`; a lower value is ignored. */
  raiseOffset(ms: number): void {
    if (ms > this.offset) this.offset = ms;
  }
  /** Moves business time to `at` unless it is already later. */
  moveTo(at: Date): void {
    this.raiseOffset(at.getTime() - this.base.now().getTime());
  }
  /** Puts back an offset saved before a move that did not commit. */
  restore(ms: number): void {
    this.offset = ms;
  }
}

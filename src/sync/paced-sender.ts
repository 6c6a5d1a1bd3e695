/**
 * Paced datagram output and a token bucket for input, the sync daemon's two rate bounds. The sender puts
 * at most `burst` datagrams on the wire per `tickMs` (default 64 per 16 ms: 4000 a second, 160 000 IPv4
 * sync entries), so a whole table of 100 000 connections does not overflow a backup's socket buffer (a UDP
 * burst larger than the receiver's buffer is lost) nor its token bucket; its queue is bounded.
 */

const EMPTY = Buffer.alloc(0);

/** A bounded FIFO of datagrams drained at a fixed rate into `out`. */
export class PacedSender {
  private readonly queue: Buffer[] = [];
  private head = 0;
  private budget: number;
  private refill?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly out: (m: Buffer) => void,
    private readonly burst = 64,
    private readonly tickMs = 16,
    private readonly max = 1 << 16,
  ) {
    this.budget = burst;
  }

  /** Datagrams waiting. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  /** Time in ms the backlog takes to go out. */
  backlogMs(): number {
    return Math.ceil(this.backlog / this.burst) * this.tickMs;
  }

  /** Queues `m` (sent at once while this tick's budget lasts); false when the queue is full and `m` dropped. */
  send(m: Buffer): boolean {
    if (this.backlog >= this.max) return false;
    this.queue.push(m);
    this.flush();
    return true;
  }

  private flush(): void {
    while (this.budget > 0 && this.head < this.queue.length) {
      this.out(this.queue[this.head]!);
      this.queue[this.head++] = EMPTY;
      this.budget--;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    if (!this.refill && !this.stopped) {
      this.refill = setTimeout(() => {
        this.refill = undefined;
        this.budget = this.burst;
        if (this.head < this.queue.length) this.flush();
      }, this.tickMs);
      this.refill.unref();
    }
  }

  /** Drops what is queued and stops the timer. */
  stop(): void {
    this.stopped = true;
    if (this.refill) clearTimeout(this.refill);
    this.queue.length = 0;
    this.head = 0;
  }
}

/** A token bucket of `ratePerS` tokens a second, holding at most as many. */
export class TokenBucket {
  private tokens: number;
  private atMs = 0;

  constructor(private readonly ratePerS: number) {
    this.tokens = ratePerS;
  }

  /** Takes one token at `nowMs`; false when none is left (over the rate). */
  take(nowMs: number): boolean {
    this.tokens = Math.min(this.ratePerS, this.tokens + ((nowMs - this.atMs) * this.ratePerS) / 1000);
    this.atMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

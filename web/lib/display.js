// Back-pressure between the protocol and the screen. The client delivers every bullet (its cursor,
// ACKs and resume state never skip anything); what reaches the screen goes through a DisplayQueue,
// which drops display items, counted, when the page cannot keep up: past its capacity (a slow
// tab) the oldest waiting bullets go, and bullets older than maxAgeMs when taken (a hidden tab
// whose animation frames stopped) go instead of bursting onto the screen at once.

export class DisplayQueue {
  /**
   * @param {object} [o]
   * @param {number} [o.capacity] bullets waiting for a lane at most (default 2,000)
   * @param {number} [o.maxAgeMs] a bullet waiting longer than this is dropped, not shown (default 5,000)
   * @param {() => number} [o.now] clock, ms (default performance.now-free Date.now)
   */
  constructor({ capacity = 2000, maxAgeMs = 5000, now = () => Date.now() } = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer (got ${capacity})`);
    if (!(maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be positive (got ${maxAgeMs})`);
    this.capacity = capacity;
    this.maxAgeMs = maxAgeMs;
    this.now = now;
    this.items = new Array(capacity);
    this.head = 0;
    this.size = 0;
    this.dropped = 0; // display items dropped, never protocol state
    this.droppedFull = 0;
    this.droppedStale = 0;
    this.accepted = 0;
  }

  /** Queues bullets for display (each gets an `enqueuedAt`); drops the oldest when full. */
  push(bullets) {
    const t = this.now();
    for (const b of bullets) {
      if (this.size === this.capacity) {
        this.head = (this.head + 1) % this.capacity;
        this.size--;
        this.dropped++;
        this.droppedFull++;
      }
      this.items[(this.head + this.size) % this.capacity] = { bullet: b, enqueuedAt: t };
      this.size++;
      this.accepted++;
    }
  }

  /** Up to `max` bullets to show now, oldest first; stale ones are dropped on the way. */
  take(max) {
    const out = [];
    const t = this.now();
    while (this.size > 0 && out.length < max) {
      const it = this.items[this.head];
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      if (t - it.enqueuedAt > this.maxAgeMs) {
        this.dropped++;
        this.droppedStale++;
      } else {
        out.push(it.bullet);
      }
    }
    return out;
  }

  /** The oldest bullet still fresh enough to show, left in the queue (stale ones are dropped), or null. */
  peek() {
    const t = this.now();
    while (this.size > 0) {
      const it = this.items[this.head];
      if (t - it.enqueuedAt <= this.maxAgeMs) return it.bullet;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.dropped++;
      this.droppedStale++;
    }
    return null;
  }

  /** Removes the head (after a peek that was shown). */
  shift() {
    if (this.size === 0) return;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }

  /** Drops everything waiting (e.g. when the danmaku layer is hidden), counted. */
  clear() {
    this.dropped += this.size;
    this.droppedStale += this.size;
    this.items.fill(undefined);
    this.head = 0;
    this.size = 0;
  }
}

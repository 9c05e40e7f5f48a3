// Test doubles for the client: a fake WebSocket class whose instances a test drives as the node
// would, node-to-client frame encoders (uncompressed), and manual timers.

import { decodeFrame } from '../lib/protocol.js';

const te = new TextEncoder();

function writer(n) {
  const b = new Uint8Array(n);
  return { b, v: new DataView(b.buffer), p: 0 };
}
function pre(w, type) { w.v.setUint16(0, 0xabcd); w.v.setUint8(2, 1); w.v.setUint8(3, type); w.p = 4; }
function u8(w, x) { w.v.setUint8(w.p, x); w.p += 1; }
function u16(w, x) { w.v.setUint16(w.p, x); w.p += 2; }
function u32(w, x) { w.v.setUint32(w.p, x); w.p += 4; }
function u64(w, x) { w.v.setBigUint64(w.p, BigInt(x)); w.p += 8; }
function str(w, s) { const e = te.encode(s); u16(w, e.length); w.b.set(e, w.p); w.p += e.length; }

export const nodeFrames = {
  joined(room, epoch, status, lastSeq, nextSeq) {
    const w = writer(33); pre(w, 0x16); u64(w, room); u32(w, epoch); u8(w, status); u64(w, lastSeq); u64(w, nextSeq);
    return w.b;
  },
  ack(timestamp, room, epoch, seq, retry = false) {
    const w = writer(33); pre(w, 0x10); u64(w, timestamp); u64(w, room); u32(w, epoch); u64(w, seq); u8(w, retry ? 1 : 0);
    return w.b;
  },
  error(code, refType, refTimestamp, room, retryAfterMs, reason) {
    const r = te.encode(reason);
    const w = writer(29 + r.length); pre(w, 0x11); u16(w, code); u8(w, refType); u64(w, refTimestamp); u64(w, room);
    u32(w, retryAfterMs); str(w, reason);
    return w.b;
  },
  redirect(room, kind, epoch, address) {
    const a = te.encode(address);
    const w = writer(19 + a.length); pre(w, 0x13); u64(w, room); u8(w, kind); u32(w, epoch); str(w, address);
    return w.b;
  },
  roomInfo(timestamp, room, exists = true) {
    const w = writer(39); pre(w, 0x14); u64(w, timestamp); u64(w, room); u8(w, exists ? 5 : 0); u32(w, 0); u32(w, 1);
    u64(w, 0); str(w, '');
    return w.b;
  },
  heartbeat(timestamp) {
    const w = writer(28); pre(w, 0x02); u64(w, timestamp); u64(w, 0); u64(w, 0);
    return w.b;
  },
  /** A raw BATCH of bullets seq firstSeq.. with content "b<seq>". */
  batch(room, epoch, firstSeq, count) {
    const entries = [];
    for (let i = 0; i < count; i++) {
      const c = te.encode(`b${firstSeq + i}`);
      const e = writer(22 + 1 + c.length);
      u64(e, 1700000000000 + firstSeq + i); u64(e, 42); str(e, 'n'); str(e, `b${firstSeq + i}`); str(e, '');
      entries.push(e.b);
    }
    const raw = entries.reduce((s, e) => s + e.length, 0);
    const w = writer(35 + raw); pre(w, 0x12); u64(w, room); u32(w, epoch); u64(w, firstSeq); u16(w, count); u8(w, 0);
    u32(w, raw); u32(w, raw);
    for (const e of entries) { w.b.set(e, w.p); w.p += e.length; }
    return w.b;
  },
};

/** Manual timers: advance(ms) runs what comes due, in order. */
export class ManualTimers {
  constructor() { this.t = 0; this.queue = []; this.seq = 0; }
  now() { return this.t; }
  setTimeout(fn, ms) { const id = ++this.seq; this.queue.push({ id, at: this.t + Math.max(0, ms), fn }); return id; }
  clearTimeout(id) { this.queue = this.queue.filter((q) => q.id !== id); }
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.queue[0];
      if (!next || next.at > end) break;
      this.queue.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

/** A WebSocket stand-in: `FakeWebSocket.sockets` lists every one the client opened. */
export function fakeWebSocketClass() {
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      FakeWebSocket.sockets.push(this);
    }
    /** The node accepts the upgrade. */
    accept() { this.readyState = 1; this.onopen?.(); }
    /** The node (or the network) closes the connection. */
    drop(code = 1006) { if (this.readyState === 3) return; this.readyState = 3; this.onclose?.({ code }); }
    /** The node sends a frame. */
    deliver(bytes) { this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) }); }
    send(bytes) { this.sent.push(decodeFrame(bytes, { maxFrameLength: 4096 })); }
    close() { this.drop(1000); }
    /** Frames of `type` the client sent on this socket. */
    sentOf(type) { return this.sent.filter((f) => f.type === type); }
  }
  FakeWebSocket.sockets = [];
  return FakeWebSocket;
}

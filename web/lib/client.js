// DanmakuClient: the browser client of a danmaku node over one WebSocket (binary messages, one
// frame each; docs/protocol.md). Heartbeats, reconnect with exponential backoff and jitter, exact
// resume of joined rooms from (epoch, seq) with the RoomCursor rules, REDIRECT/MOVED following with
// a hop limit, resend of unacknowledged bullets with their original timestamps, and every ERROR
// surfaced as a ServerError with its code. Single-threaded (the page's event loop); see docs/web.md.

import {
  decodeFrame, encodeBullet, encodeJoin, encodeLeave, encodeCreateRoom, encodeCheckRoom, encodeHeartbeat, encodeAuth,
  errorCode, ProtocolError, toU64,
} from './protocol.js';
import { RoomCursor, Action } from './cursor.js';

/** Connection states, in the order a client goes through them. */
export const State = Object.freeze({
  IDLE: 'idle', CONNECTING: 'connecting', OPEN: 'open', RECONNECTING: 'reconnecting', CLOSED: 'closed',
});

/** An ERROR frame from the node, as an Error: `code`, `codeName`, `retriable`, `retryAfterMs`, `reason`. */
export class ServerError extends Error {
  constructor(frame) {
    const e = errorCode(frame.code);
    super(`error ${frame.code} ${e.name}: ${frame.reason || e.message}`);
    this.name = 'ServerError';
    this.code = frame.code;
    this.codeName = e.name;
    this.retriable = e.retriable;
    this.retryAfterMs = frame.retryAfterMs;
    this.reason = frame.reason;
    this.refType = frame.refType;
    this.room = frame.room;
  }
}

/** The client gave up (closed, redirect loop, reconnect tries exhausted, bad frame from the node). */
export class ClientError extends Error {
  constructor(message, cause) {
    super(message);
    this.name = 'ClientError';
    if (cause) this.cause = cause;
  }
}

const MOVING = new Set([302, 303]); // ROOM_MOVING, CLUSTER_UNAVAILABLE: retry the request after the hint
const DEFAULTS = {
  userId: 0, heartbeatIntervalMs: 10_000, deadAfterIntervals: 3, connectTimeoutMs: 5_000,
  reconnectBaseMs: 200, reconnectMaxMs: 10_000, reconnectJitter: 0.5, reconnectTries: Infinity,
  maxRedirects: 3, movingRetries: 40, maxPendingBullets: 1_000,
};

function checkUrl(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new ClientError(`not a URL: ${JSON.stringify(url)} (expected ws://HOST:PORT/ws)`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new ClientError(`not a WebSocket URL: ${url} (expected ws:// or wss://)`);
  }
  return u.href;
}

/**
 * A client of one node (it follows REDIRECT/MOVED to others).
 *
 * Events (`client.on(name, fn)`): `state` (State), `bullets` ({room, epoch, bullets}: every
 * delivered bullet, exactly once, in order; never dropped), `joined` (JOINED frame), `discontinuity`
 * (a reported break: GAP, GAP_SKIPPED, NOT_RECOVERED, EPOCH_CHANGED), `resumed` ({room, epoch,
 * lastSeq}: a re-join after a reconnect/move was answered), `redirect` (REDIRECT frame), `ranking`,
 * `error` (ServerError or ClientError not tied to a call), `closed` (the reason, a ClientError).
 */
export class DanmakuClient {
  /**
   * @param {object} options
   * @param {string} options.url the node's WebSocket URL, e.g. ws://127.0.0.1:7000/ws
   * @param {{inflate: Function}} [options.inflater] from createInflater (needed for compressed batches)
   * @param {number|bigint|string} [options.userId] sender id for BULLET (0 = anonymous viewer; send needs one)
   * @param {number} [options.heartbeatIntervalMs] 10 s; the connection is dead after 3 silent intervals
   * @param {number} [options.reconnectBaseMs] first reconnect delay (doubles, capped by reconnectMaxMs, jittered)
   * @param {number} [options.reconnectTries] attempts after a drop before giving up (default: forever)
   * @param {number} [options.maxRedirects] hops without a successful answer before a redirect loop is declared
   * @param {Function} [options.WebSocket] WebSocket constructor (default: the global one)
   * @param {() => number} [options.now] clock, Unix ms
   * @param {() => number} [options.random] uniform [0, 1) for the jitter
   * @param {object} [options.timers] {setTimeout, clearTimeout} (tests)
   */
  constructor(options) {
    if (!options || typeof options !== 'object') throw new ClientError('DanmakuClient needs an options object with a url');
    this.opts = { ...DEFAULTS, ...options };
    this.url = checkUrl(options.url);
    this.userId = toU64(this.opts.userId, 'userId');
    this.WS = this.opts.WebSocket ?? globalThis.WebSocket;
    if (typeof this.WS !== 'function') throw new ClientError('no WebSocket implementation (pass options.WebSocket)');
    this.now = this.opts.now ?? (() => Date.now());
    this.random = this.opts.random ?? Math.random;
    this.timers = this.opts.timers ?? { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (t) => clearTimeout(t) };
    this.listeners = new Map();
    this.state = State.IDLE;
    this.ws = null;
    this.cursors = new Map(); // room key -> RoomCursor
    this.joins = new Map(); // room key -> {resolve, reject, history, retries}
    this.bulletsPending = new Map(); // timestamp -> {frame, resolve, reject, retries}
    this.roomRequests = new Map(); // timestamp -> {encode, resolve, reject, retries}
    this.auths = [];
    this.token = null;
    this.lastTimestamp = 0;
    this.attempt = 0;
    this.redirects = 0;
    this.redirectTarget = null;
    this.retryAfterHintMs = 0;
    this.closedReason = null;
    this.heartbeatTimer = null;
    this.reconnectTimer = null;
    this.lastInboundAt = 0;
    this.everOpen = false;
    this.counters = {
      framesIn: 0, framesOut: 0, bytesIn: 0, batches: 0, bulletsDelivered: 0, duplicates: 0, discarded: 0,
      reconnects: 0, resumes: 0, gapsResumed: 0, discontinuities: 0, redirects: 0, heartbeats: 0, errors: 0,
    };
  }

  // ------------------------------------------------------------ events

  /** Registers `fn` for event `name`; returns a function that removes it. */
  on(name, fn) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(fn);
    return () => this.listeners.get(name)?.delete(fn);
  }

  emit(name, value) {
    for (const fn of this.listeners.get(name) ?? []) {
      try {
        fn(value);
      } catch (e) {
        // A listener's bug must not break protocol state; report it once per throw.
        if (name !== 'error') this.emit('error', new ClientError(`a '${name}' listener threw: ${e?.message ?? e}`, e));
      }
    }
  }

  setState(s) {
    if (this.state !== s) {
      this.state = s;
      this.emit('state', s);
    }
  }

  // ------------------------------------------------------------ public API

  /** Opens the connection; resolves when it is open, rejects (no retry) if the first attempt fails. */
  connect() {
    if (this.state === State.CLOSED) return Promise.reject(this.closedReason);
    if (this.connectPromise) return this.connectPromise;
    this.connectPromise = new Promise((resolve, reject) => {
      this.firstConnect = { resolve, reject };
    });
    this.open(this.url);
    return this.connectPromise;
  }

  /**
   * Joins a room: resolves with the JOINED frame. From then on every bullet of the room is delivered
   * through the `bullets` event, resumed exactly after reconnects and moves.
   *
   * @param {number|bigint|string} room
   * @param {object} [o]
   * @param {number} [o.history] recent bullets wanted first (0-10,000)
   * @param {{epoch: number, lastSeq: number}} [o.resumeFrom] a saved position to resume from
   */
  join(room, { history = 0, resumeFrom } = {}) {
    const id = toU64(room, 'room');
    if (id === 0n) return Promise.reject(new ClientError('room must not be 0'));
    if (!Number.isInteger(history) || history < 0 || history > 10_000) {
      return Promise.reject(new ClientError(`history must be an integer in [0, 10000] (got ${history})`));
    }
    const key = id.toString();
    if (this.cursors.has(key)) return Promise.reject(new ClientError(`room ${key} is already joined`));
    const cursor = resumeFrom ? RoomCursor.resumingFrom(id, resumeFrom.epoch, resumeFrom.lastSeq) : new RoomCursor(id, history);
    this.cursors.set(key, cursor);
    return new Promise((resolve, reject) => {
      this.joins.set(key, { resolve, reject, retries: 0 });
      if (this.state === State.OPEN) this.sendJoin(cursor);
    });
  }

  /** Leaves a room (no answer); its bullets stop. */
  leave(room) {
    const id = toU64(room, 'room');
    const key = id.toString();
    this.cursors.delete(key);
    this.joins.get(key)?.reject(new ClientError(`left room ${key} before it was joined`));
    this.joins.delete(key);
    if (this.state === State.OPEN) this.write(encodeLeave({ timestamp: this.now(), user: this.userId, room: id }));
  }

  /** The (epoch, lastSeq) delivered so far in a joined room (to save and resume from later), or null. */
  position(room) {
    const c = this.cursors.get(toU64(room, 'room').toString());
    return c && c.positioned ? { epoch: c.epoch, lastSeq: c.lastSeq } : null;
  }

  /**
   * Sends a bullet: resolves with the ACK ({epoch, seq, retry}), rejects with a ServerError
   * (RATE_LIMITED, SENSITIVE_WORD, BANNED, ...) or a ClientError. Bad input throws at once.
   * Unacknowledged bullets are re-sent with the same timestamp after a reconnect or redirect.
   */
  send(room, content, { name = '', color = '' } = {}) {
    if (this.userId === 0n) return Promise.reject(new ClientError('sending needs a userId (options.userId != 0)'));
    if (this.state === State.CLOSED) return Promise.reject(this.closedReason);
    if (this.bulletsPending.size >= this.opts.maxPendingBullets) {
      return Promise.reject(new ClientError(`${this.bulletsPending.size} bullets are unacknowledged; wait for ACKs`));
    }
    const timestamp = this.nextTimestamp();
    let frame;
    try {
      frame = encodeBullet({ timestamp, user: this.userId, room, name, content, color });
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.bulletsPending.set(timestamp, { frame, resolve, reject, retries: 0, room: toU64(room, 'room') });
      if (this.state === State.OPEN) this.write(frame);
    });
  }

  /** CREATE_ROOM (idempotent): resolves with ROOM_INFO. */
  createRoom(room) {
    return this.roomRequest(room, encodeCreateRoom);
  }

  /** CHECK_ROOM: resolves with ROOM_INFO (exists false for an unknown room). */
  checkRoom(room) {
    return this.roomRequest(room, encodeCheckRoom);
  }

  /** AUTH with a signed token: resolves with AUTH_OK; the token is presented again after reconnects. */
  auth(token) {
    let frame;
    try {
      frame = encodeAuth({ timestamp: this.now(), token });
    } catch (e) {
      return Promise.reject(e);
    }
    this.token = token;
    return new Promise((resolve, reject) => {
      this.auths.push({ resolve, reject });
      if (this.state === State.OPEN) this.write(frame);
    });
  }

  /** Closes for good: pending calls fail with a ClientError. */
  close(reason = 'closed by the application') {
    this.shutDown(new ClientError(reason));
  }

  // ------------------------------------------------------------ connection

  nextTimestamp() {
    const t = Math.max(this.now(), this.lastTimestamp + 1);
    this.lastTimestamp = t;
    return t;
  }

  roomRequest(room, encode) {
    const id = toU64(room, 'room');
    if (id === 0n) return Promise.reject(new ClientError('room must not be 0'));
    if (this.state === State.CLOSED) return Promise.reject(this.closedReason);
    const timestamp = this.nextTimestamp();
    return new Promise((resolve, reject) => {
      this.roomRequests.set(timestamp, { encode, room: id, resolve, reject, retries: 0 });
      if (this.state === State.OPEN) this.write(encode({ timestamp, user: this.userId, room: id }));
    });
  }

  open(url) {
    this.setState(this.everOpen ? State.RECONNECTING : State.CONNECTING);
    let ws;
    try {
      ws = new this.WS(url);
    } catch (e) {
      this.onDown(null, `cannot open ${url}: ${e.message}`);
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.currentUrl = url;
    const connectTimer = this.timers.setTimeout(() => {
      if (this.ws === ws && this.state !== State.OPEN) {
        this.onDown(ws, `no connection to ${url} within ${this.opts.connectTimeoutMs} ms`);
        try { ws.close(); } catch { /* already closing */ }
      }
    }, this.opts.connectTimeoutMs);
    ws.onopen = () => {
      this.timers.clearTimeout(connectTimer);
      if (this.ws === ws) this.onOpen(ws);
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.onMessage(ev.data);
    };
    ws.onclose = (ev) => {
      this.timers.clearTimeout(connectTimer);
      if (this.ws === ws) this.onDown(ws, `connection to ${url} closed (WebSocket code ${ev?.code ?? '?'})`);
    };
    ws.onerror = () => { /* onclose follows with the code */ };
  }

  onOpen(ws) {
    const wasOpen = this.everOpen;
    this.everOpen = true;
    this.attempt = 0;
    this.retryAfterHintMs = 0;
    this.lastInboundAt = this.now();
    this.setState(State.OPEN);
    if (this.firstConnect) {
      this.firstConnect.resolve();
      this.firstConnect = null;
    }
    if (wasOpen) this.counters.reconnects++;
    // Order: AUTH, JOINs (RESUME from each cursor), room requests, unacknowledged bullets.
    if (this.token) this.write(encodeAuth({ timestamp: this.now(), token: this.token }));
    for (const cursor of this.cursors.values()) this.sendJoin(cursor);
    for (const [timestamp, r] of this.roomRequests) this.write(r.encode({ timestamp, user: this.userId, room: r.room }));
    for (const b of this.bulletsPending.values()) this.write(b.frame);
    this.scheduleHeartbeat(ws);
  }

  scheduleHeartbeat(ws) {
    this.timers.clearTimeout(this.heartbeatTimer);
    const interval = this.opts.heartbeatIntervalMs;
    this.heartbeatTimer = this.timers.setTimeout(() => {
      if (this.ws !== ws || this.state !== State.OPEN) return;
      if (this.now() - this.lastInboundAt > interval * this.opts.deadAfterIntervals) {
        this.onDown(ws, `no frame from ${this.currentUrl} for ${this.opts.deadAfterIntervals} heartbeat intervals`);
        try { ws.close(); } catch { /* gone */ }
        return;
      }
      this.counters.heartbeats++;
      this.write(encodeHeartbeat({ timestamp: this.now(), user: this.userId }));
      this.scheduleHeartbeat(ws);
    }, interval);
  }

  sendJoin(cursor) {
    cursor.joinSent();
    const resume = cursor.positioned;
    this.write(encodeJoin({
      timestamp: this.now(), user: this.userId, room: cursor.room, resume,
      epoch: resume ? cursor.epoch : 0, lastSeq: resume ? cursor.lastSeq : 0, history: resume ? 0 : cursor.history,
    }));
  }

  write(bytes) {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(bytes);
      this.counters.framesOut++;
    }
  }

  /** A connection ended (or never opened): reconnect, follow a redirect, or give up. */
  onDown(ws, why) {
    if (this.state === State.CLOSED || (ws !== null && ws !== this.ws)) return;
    this.timers.clearTimeout(this.heartbeatTimer);
    this.ws = null;
    if (this.firstConnect && !this.everOpen && !this.redirectTarget) {
      this.shutDown(new ClientError(`cannot connect: ${why}`));
      return;
    }
    let url = this.url;
    let delay;
    if (this.redirectTarget) {
      url = this.redirectTarget;
      this.redirectTarget = null;
      delay = 0;
    } else {
      if (this.attempt >= this.opts.reconnectTries) {
        this.shutDown(new ClientError(`gave up after ${this.attempt} reconnect attempts: ${why}`));
        return;
      }
      const nominal = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectBaseMs * 2 ** Math.min(this.attempt, 20));
      const j = this.opts.reconnectJitter;
      delay = Math.max(Math.round(nominal * (1 - j + 2 * j * this.random())), this.retryAfterHintMs);
      this.retryAfterHintMs = 0;
      this.attempt++;
    }
    this.setState(State.RECONNECTING);
    this.lastDownReason = why;
    this.url = url;
    this.reconnectTimer = this.timers.setTimeout(() => {
      if (this.state !== State.CLOSED) this.open(url);
    }, delay);
  }

  shutDown(reason) {
    if (this.state === State.CLOSED) return;
    this.closedReason = reason;
    this.timers.clearTimeout(this.heartbeatTimer);
    this.timers.clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try { ws.close(1000); } catch { /* already closed */ }
    }
    this.setState(State.CLOSED);
    this.firstConnect?.reject(reason);
    this.firstConnect = null;
    for (const j of this.joins.values()) j.reject(reason);
    for (const b of this.bulletsPending.values()) b.reject(reason);
    for (const r of this.roomRequests.values()) r.reject(reason);
    for (const a of this.auths) a.reject(reason);
    this.joins.clear(); this.bulletsPending.clear(); this.roomRequests.clear(); this.auths = [];
    this.emit('closed', reason);
  }

  /** A reply that shows the connection does useful work: the redirect budget starts over. */
  progress() {
    this.redirects = 0;
  }

  // ------------------------------------------------------------ inbound

  onMessage(data) {
    this.lastInboundAt = this.now();
    if (typeof data === 'string') {
      this.shutDown(new ClientError('the node sent a text message; the protocol is binary only'));
      return;
    }
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.counters.framesIn++;
    this.counters.bytesIn += bytes.length;
    let f;
    try {
      f = decodeFrame(bytes, { inflater: this.opts.inflater });
    } catch (e) {
      // A node frame we cannot decode breaks the connection's framing: stop with the reason.
      this.shutDown(new ClientError(`bad frame from ${this.currentUrl}: ${e.message}`, e));
      return;
    }
    switch (f.type) {
      case 'BATCH': this.onBatch(f); break;
      case 'JOINED': this.onJoined(f); break;
      case 'ACK': this.onAck(f); break;
      case 'ERROR': this.onError(f); break;
      case 'REDIRECT': this.onRedirect(f); break;
      case 'ROOM_INFO': this.onRoomInfo(f); break;
      case 'AUTH_OK': this.progress(); this.auths.shift()?.resolve(f); break;
      case 'RANKING': this.emit('ranking', f); break;
      case 'HEARTBEAT': break;
      default:
        this.shutDown(new ClientError(`the node sent a ${f.type} frame, which only clients send`));
    }
  }

  onBatch(f) {
    this.counters.batches++;
    const cursor = this.cursors.get(String(f.room));
    if (!cursor) return; // a room we left: its last batches may still arrive
    this.progress();
    const step = cursor.onBatch(f.epoch, f.firstSeq, f.count);
    this.counters.duplicates = [...this.cursors.values()].reduce((s, c) => s + c.duplicates, 0);
    this.counters.discarded = [...this.cursors.values()].reduce((s, c) => s + c.discarded, 0);
    if (step.discontinuity) {
      this.counters.discontinuities++;
      this.emit('discontinuity', step.discontinuity);
    }
    if (step.action === Action.RESUME) {
      this.counters.gapsResumed++;
      this.sendJoin(cursor);
      return;
    }
    if (step.action === Action.DELIVER) {
      const bullets = step.skip > 0 ? f.bullets.slice(step.skip) : f.bullets;
      this.counters.bulletsDelivered += bullets.length;
      this.emit('bullets', { room: f.room, epoch: f.epoch, bullets });
    }
  }

  onJoined(f) {
    const key = String(f.room);
    const cursor = this.cursors.get(key);
    if (!cursor) return;
    this.progress();
    const wasPositioned = cursor.positioned;
    const d = cursor.onJoined(f.epoch, f.status, f.nextSeq);
    if (d) {
      this.counters.discontinuities++;
      this.emit('discontinuity', d);
    }
    const pending = this.joins.get(key);
    if (pending) {
      this.joins.delete(key);
      pending.resolve(f);
    } else if (wasPositioned) {
      this.counters.resumes++;
      this.emit('resumed', { room: f.room, epoch: cursor.epoch, lastSeq: cursor.lastSeq, status: f.status });
    }
    this.emit('joined', f);
  }

  onAck(f) {
    this.progress();
    const b = this.bulletsPending.get(f.timestamp);
    if (!b) return; // a duplicate ACK (resend raced the first): already resolved
    this.bulletsPending.delete(f.timestamp);
    b.resolve({ room: f.room, epoch: f.epoch, seq: f.seq, retry: f.retry, timestamp: f.timestamp });
  }

  onRoomInfo(f) {
    this.progress();
    const r = this.roomRequests.get(f.timestamp);
    if (!r) return;
    this.roomRequests.delete(f.timestamp);
    r.resolve(f);
  }

  onError(f) {
    this.counters.errors++;
    const err = new ServerError(f);
    if (f.retryAfterMs > 0) this.retryAfterHintMs = Math.max(this.retryAfterHintMs, f.retryAfterMs);
    const target = this.requestFor(f);
    if (target && MOVING.has(f.code) && target.retries < this.opts.movingRetries) {
      // ROOM_MOVING / CLUSTER_UNAVAILABLE: the same request again after the hint.
      target.retries++;
      const delay = f.retryAfterMs > 0 ? f.retryAfterMs : this.opts.reconnectBaseMs;
      this.timers.setTimeout(() => {
        if (this.state !== State.OPEN) return; // a reconnect re-sends everything anyway
        target.resend();
      }, delay);
      return;
    }
    if (target) {
      target.fail(err);
      return;
    }
    // Not tied to a request: a close reason (sent before the node closes) or an unsolicited error.
    this.emit('error', err);
    if (f.refType === 'NONE' && !err.retriable && (f.code < 200 || (f.code >= 400 && f.code < 403))) {
      this.shutDown(new ClientError(`the node closed the connection: ${err.message}`, err));
    }
  }

  /** The pending request an ERROR answers: {retries, resend(), fail(err)} or null. */
  requestFor(f) {
    if (f.refType === 'BULLET') {
      const b = this.bulletsPending.get(f.refTimestamp);
      if (!b) return null;
      return {
        get retries() { return b.retries; }, set retries(v) { b.retries = v; },
        resend: () => this.write(b.frame),
        fail: (e) => { this.bulletsPending.delete(f.refTimestamp); b.reject(e); },
      };
    }
    if (f.refType === 'CREATE_ROOM' || f.refType === 'CHECK_ROOM') {
      const r = this.roomRequests.get(f.refTimestamp);
      if (!r) return null;
      return {
        get retries() { return r.retries; }, set retries(v) { r.retries = v; },
        resend: () => this.write(r.encode({ timestamp: f.refTimestamp, user: this.userId, room: r.room })),
        fail: (e) => { this.roomRequests.delete(f.refTimestamp); r.reject(e); },
      };
    }
    if (f.refType === 'JOIN') {
      const key = String(f.room);
      const cursor = this.cursors.get(key);
      if (!cursor) return null;
      const j = this.joins.get(key) ?? { retries: 0, resolve() {}, reject: (e) => this.emit('error', e) };
      this.joins.set(key, j);
      return {
        get retries() { return j.retries; }, set retries(v) { j.retries = v; },
        resend: () => this.sendJoin(cursor),
        fail: (e) => { this.cursors.delete(key); this.joins.delete(key); j.reject(e); },
      };
    }
    if (f.refType === 'AUTH') {
      const a = this.auths[0];
      if (!a) return null;
      return { retries: Infinity, resend() {}, fail: (e) => { this.auths.shift(); this.token = null; a.reject(e); } };
    }
    return null;
  }

  onRedirect(f) {
    this.counters.redirects++;
    this.emit('redirect', f);
    if (this.redirectTarget) return; // already leaving this connection: one hop for all its redirects
    if (++this.redirects > this.opts.maxRedirects) {
      this.shutDown(new ClientError(`too many redirects: ${this.redirects} hops without an answer (the limit is `
        + `${this.opts.maxRedirects}), the last to ${f.address}; a redirect loop?`));
      return;
    }
    let target;
    try {
      target = checkUrl(f.address);
    } catch {
      this.shutDown(new ClientError(`the node redirected to an invalid address: ${f.address}`));
      return;
    }
    this.redirectTarget = target;
    const ws = this.ws;
    this.onDown(ws, `${f.kind} room ${f.room} to ${f.address}`);
    try { ws?.close(1000); } catch { /* gone */ }
  }
}

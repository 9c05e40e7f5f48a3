import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DanmakuClient, ServerError, ClientError, State } from '../lib/client.js';
import { RoomCursor } from '../lib/cursor.js';
import { DisplayQueue } from '../lib/display.js';
import { nodeFrames as F, ManualTimers, fakeWebSocketClass } from '../testing/fake-node.js';

function setup(extra = {}) {
  const timers = new ManualTimers();
  const WS = fakeWebSocketClass();
  const client = new DanmakuClient({
    url: 'ws://node-a:7000/ws', userId: 7, WebSocket: WS, timers, now: () => 1_700_000_000_000 + timers.now(),
    random: () => 0.5, heartbeatIntervalMs: 1000, ...extra,
  });
  const delivered = [];
  client.on('bullets', ({ bullets }) => delivered.push(...bullets.map((b) => b.seq)));
  const events = [];
  for (const e of ['discontinuity', 'resumed', 'error', 'closed', 'redirect']) client.on(e, (v) => events.push([e, v]));
  return { timers, WS, client, delivered, events, last: () => WS.sockets[WS.sockets.length - 1] };
}

async function openAndJoin(s, room = 9001, epoch = 1, next = 1) {
  const connected = s.client.connect();
  s.last().accept();
  await connected;
  const joined = s.client.join(room);
  s.last().deliver(F.joined(room, epoch, 0, next - 1, next));
  await joined;
}

describe('DanmakuClient', () => {
  test('rejects bad options with clear errors', () => {
    assert.throws(() => new DanmakuClient({ url: 'http://x/ws', WebSocket: class {} }), /not a WebSocket URL/);
    assert.throws(() => new DanmakuClient({ url: 'nope', WebSocket: class {} }), /not a URL/);
    assert.throws(() => new DanmakuClient({ url: 'ws://x/ws', userId: -3, WebSocket: class {} }), /userId must be in/);
  });

  test('the first connect fails fast', async () => {
    const s = setup();
    const p = s.client.connect();
    s.last().drop(1006);
    await assert.rejects(p, /cannot connect: connection to ws:\/\/node-a:7000\/ws closed \(WebSocket code 1006\)/);
    assert.equal(s.client.state, State.CLOSED);
  });

  test('delivers each bullet once, in order, dropping duplicates', async () => {
    const s = setup();
    await openAndJoin(s);
    s.last().deliver(F.batch(9001, 1, 1, 3));
    s.last().deliver(F.batch(9001, 1, 2, 3)); // 2,3 duplicates, 4 new
    assert.deepEqual(s.delivered, [1, 2, 3, 4]);
    assert.equal(s.client.counters.duplicates, 2);
  });

  test('a gap resumes with JOIN RESUME from the last delivered seq', async () => {
    const s = setup();
    await openAndJoin(s);
    s.last().deliver(F.batch(9001, 1, 1, 2));
    s.last().deliver(F.batch(9001, 1, 5, 1)); // 3, 4 missing
    const resume = s.last().sentOf('JOIN').at(-1);
    assert.equal(resume.resume, true);
    assert.equal(resume.epoch, 1);
    assert.equal(resume.lastSeq, 2);
    s.last().deliver(F.joined(9001, 1, 1, 5, 3));
    s.last().deliver(F.batch(9001, 1, 3, 3));
    assert.deepEqual(s.delivered, [1, 2, 3, 4, 5]);
    assert.equal(s.client.counters.gapsResumed, 1);
  });

  test('reconnects with backoff and jitter after a drop, resumes exactly, resends unacked bullets', async () => {
    const s = setup();
    await openAndJoin(s);
    s.last().deliver(F.batch(9001, 1, 1, 2));
    const sent = s.client.send(9001, 'hello', { name: 'n', color: 'red' });
    const first = s.last().sentOf('BULLET')[0];
    s.last().drop();
    assert.equal(s.client.state, State.RECONNECTING);
    s.timers.advance(199);
    assert.equal(s.WS.sockets.length, 1, 'waits the backoff (200 ms with jitter factor 1.0)');
    s.timers.advance(1);
    assert.equal(s.WS.sockets.length, 2);
    s.last().accept();
    const join = s.last().sentOf('JOIN')[0];
    assert.deepEqual([join.resume, join.epoch, join.lastSeq], [true, 1, 2]);
    const resent = s.last().sentOf('BULLET')[0];
    assert.equal(resent.timestamp, first.timestamp, 'the same timestamp: the idempotency key');
    s.last().deliver(F.joined(9001, 1, 1, 3, 3));
    s.last().deliver(F.batch(9001, 1, 3, 1));
    s.last().deliver(F.ack(first.timestamp, 9001, 1, 3, true));
    const ack = await sent;
    assert.deepEqual([ack.seq, ack.retry], [3, true]);
    assert.deepEqual(s.delivered, [1, 2, 3]);
    assert.equal(s.client.counters.resumes, 1);
    assert.equal(s.client.counters.reconnects, 1);
  });

  test('the backoff doubles and is capped', async () => {
    const s = setup({ reconnectMaxMs: 1000, random: () => 0 }); // jitter factor 0.5
    await openAndJoin(s);
    const delays = [];
    for (let i = 0; i < 5; i++) {
      s.last().drop();
      const before = s.WS.sockets.length;
      let waited = 0;
      while (s.WS.sockets.length === before) { s.timers.advance(1); waited++; }
      delays.push(waited);
    }
    assert.deepEqual(delays, [100, 200, 400, 500, 500]);
  });

  test('a silent connection is declared dead after 3 heartbeat intervals', async () => {
    const s = setup();
    await openAndJoin(s);
    s.timers.advance(1000);
    assert.equal(s.last().sentOf('HEARTBEAT').length, 1);
    s.timers.advance(3100);
    assert.equal(s.client.state, State.RECONNECTING);
  });

  test('follows MOVED to the new owner and continues across the epoch change (docs/protocol.md 5.8)', async () => {
    const s = setup();
    await openAndJoin(s, 9001, 3, 1);
    s.last().deliver(F.batch(9001, 3, 1, 5));
    s.last().deliver(F.redirect(9001, 2, 3, 'ws://node-b:7000/ws'));
    s.timers.advance(0);
    assert.equal(s.last().url, 'ws://node-b:7000/ws');
    s.last().accept();
    const join = s.last().sentOf('JOIN')[0];
    assert.deepEqual([join.resume, join.epoch, join.lastSeq], [true, 3, 5]);
    s.last().deliver(F.joined(9001, 4, 1, 7, 6)); // RECOVERED in the new epoch
    s.last().deliver(F.batch(9001, 3, 6, 1)); // the old epoch's tail
    s.last().deliver(F.batch(9001, 4, 7, 2)); // continues into epoch 4
    assert.deepEqual(s.delivered, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(s.events.filter(([e]) => e === 'discontinuity').length, 0);
  });

  test('a redirect loop is a clear error after maxRedirects hops', async () => {
    const s = setup({ maxRedirects: 3 });
    const connected = s.client.connect();
    s.last().accept();
    await connected;
    const info = s.client.checkRoom(9001);
    for (let hop = 0; hop < 4; hop++) {
      s.last().deliver(F.redirect(9001, 1, 0, hop % 2 ? 'ws://node-a:7000/ws' : 'ws://node-b:7000/ws'));
      s.timers.advance(0);
      if (hop < 3) s.last().accept();
    }
    await assert.rejects(info, /too many redirects: 4 hops without an answer \(the limit is 3\).*a redirect loop\?/);
    assert.equal(s.client.state, State.CLOSED);
  });

  test('ERROR reason codes reach the caller as ServerError', async () => {
    const s = setup();
    await openAndJoin(s);
    const p = s.client.send(9001, '加微信 12345678');
    const b = s.last().sentOf('BULLET')[0];
    s.last().deliver(F.error(204, 0x01, b.timestamp, 9001, 0, 'content contains a forbidden word'));
    await assert.rejects(p, (e) => e instanceof ServerError && e.code === 204 && e.codeName === 'SENSITIVE_WORD'
      && !e.retriable && /forbidden word/.test(e.message));
    const q = s.client.send(9001, 'fast');
    const b2 = s.last().sentOf('BULLET')[1];
    s.last().deliver(F.error(201, 0x01, b2.timestamp, 9001, 100, 'rate limit exceeded'));
    await assert.rejects(q, (e) => e.codeName === 'RATE_LIMITED' && e.retriable && e.retryAfterMs === 100);
  });

  test('ROOM_MOVING is retried after the hint with the same timestamp', async () => {
    const s = setup();
    await openAndJoin(s);
    const p = s.client.send(9001, 'x');
    const b = s.last().sentOf('BULLET')[0];
    s.last().deliver(F.error(302, 0x01, b.timestamp, 9001, 100, 'moving'));
    s.timers.advance(100);
    const again = s.last().sentOf('BULLET');
    assert.equal(again.length, 2);
    assert.equal(again[1].timestamp, b.timestamp);
    s.last().deliver(F.ack(b.timestamp, 9001, 1, 1));
    assert.equal((await p).seq, 1);
  });

  test('a non-retriable close reason stops the client instead of reconnecting', async () => {
    const s = setup();
    await openAndJoin(s);
    s.last().deliver(F.error(401, 0, 0, 0, 0, 'token rejected'));
    assert.equal(s.client.state, State.CLOSED);
    assert.match(s.client.closedReason.message, /error 401 AUTH_FAILED: token rejected/);
  });

  test('a frame the client cannot decode closes it with the protocol error', async () => {
    const s = setup();
    await openAndJoin(s);
    s.last().deliver(new Uint8Array([0xab, 0xce, 1, 1]));
    assert.equal(s.client.state, State.CLOSED);
    assert.match(s.client.closedReason.message, /bad frame from ws:\/\/node-a:7000\/ws: error 100 BAD_MAGIC/);
  });

  test('send refuses bad input and anonymous senders with clear errors', async () => {
    const s = setup({ userId: 0 });
    await assert.rejects(s.client.send(9001, 'x'), /sending needs a userId/);
    const t = setup();
    await assert.rejects(t.client.send(9001, ''), /content must not be empty/);
    await assert.rejects(t.client.join(9001, { history: 20000 }), /history must be an integer in \[0, 10000\]/);
    assert.ok(new ClientError('x') instanceof Error);
  });

  test('a slow renderer drops display items, never protocol state', async () => {
    const s = setup();
    await openAndJoin(s);
    let now = 0;
    const q = new DisplayQueue({ capacity: 100, maxAgeMs: 1000, now: () => now });
    s.client.on('bullets', ({ bullets }) => q.push(bullets));
    s.last().deliver(F.batch(9001, 1, 1, 250));
    assert.equal(s.delivered.length, 250, 'every bullet delivered to the application');
    assert.deepEqual(s.client.position(9001), { epoch: 1, lastSeq: 250 });
    assert.equal(q.size, 100);
    assert.equal(q.droppedFull, 150);
    now = 2000; // the tab was hidden: what waited is stale
    assert.equal(q.take(10).length, 0);
    assert.equal(q.droppedStale, 100);
  });
});

describe('RoomCursor', () => {
  test('an epoch above the latest JOINED is a discontinuity, never silent', () => {
    const c = new RoomCursor(1, 0);
    c.joinSent();
    c.onJoined(1, 'LIVE', 1);
    assert.equal(c.onBatch(1, 1, 2).action, 'DELIVER');
    const step = c.onBatch(2, 3, 1);
    assert.equal(step.discontinuity.kind, 'EPOCH_CHANGED');
  });

  test('NOT_RECOVERED reports the lost range', () => {
    const c = RoomCursor.resumingFrom(1, 1, 10);
    c.joinSent();
    const d = c.onJoined(1, 'NOT_RECOVERED', 21);
    assert.deepEqual([d.kind, d.missing], ['NOT_RECOVERED', 10]);
  });

  test('the same gap right after a resume is skipped and reported', () => {
    const c = RoomCursor.resumingFrom(1, 1, 10);
    c.joinSent();
    c.onJoined(1, 'RECOVERED', 11);
    assert.equal(c.onBatch(1, 15, 1).action, 'RESUME');
    c.onJoined(1, 'RECOVERED', 11);
    const step = c.onBatch(1, 15, 1);
    assert.deepEqual([step.action, step.discontinuity.kind, step.discontinuity.missing], ['DELIVER', 'GAP_SKIPPED', 4]);
  });

  test('seeded property: random batches never deliver a seq twice or out of order', () => {
    let seed = 12345;
    const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    for (let run = 0; run < 200; run++) {
      const c = new RoomCursor(1, 0);
      c.joinSent();
      c.onJoined(1, 'LIVE', 1);
      let last = 0;
      for (let i = 0; i < 50; i++) {
        const first = Math.max(1, last - 3 + rnd(6));
        const count = 1 + rnd(4);
        const step = c.onBatch(1, first, count);
        if (step.action === 'DELIVER') {
          const seqs = Array.from({ length: count - step.skip }, (_, k) => first + step.skip + k);
          assert.ok(seqs[0] > last || step.discontinuity, `seed ${seed}: ${seqs} after ${last}`);
          last = seqs.at(-1);
        } else if (step.action === 'RESUME') {
          c.onJoined(1, 'RECOVERED', last + 1);
        }
      }
    }
  });
});

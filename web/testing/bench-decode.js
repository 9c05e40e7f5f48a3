// Decode speed of real BATCH frames (docs/benchmarks.md, "Browser client"): connects to a running
// node with the library's own DanmakuClient (Node's WebSocket), sends bullets into a room at a
// fixed rate while a second client watches it and keeps every BATCH frame as received, then times
// decodeFrame (zstd with the protocol dictionary included) over the captured frames.
//
//   node --experimental-websocket web/testing/bench-decode.js [ws://127.0.0.1:7000/ws] [rate/s] [seconds]
//
// Prints one JSON line. Needs a node whose rate limits allow the rate
// (bin/danmaku node $(bin/danmaku perf node-flags) does).

import { DanmakuClient } from '../lib/client.js';
import { decodeFrame } from '../lib/protocol.js';
import { createInflater } from '../lib/zstd.js';
import { repoFile, DICTIONARY_PATH, WASM_PATH } from './vectors.js';

const [url = 'ws://127.0.0.1:7000/ws', rateText = '2000', secondsText = '5'] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
if (!Number.isInteger(rate) || rate < 1 || !Number.isInteger(seconds) || seconds < 1) {
  console.error('usage: bench-decode.js [WS_URL] [RATE_PER_SECOND >= 1] [SECONDS >= 1]');
  process.exit(2);
}
if (typeof WebSocket !== 'function') {
  console.error('bench-decode.js: no WebSocket in this Node; run it with node --experimental-websocket');
  process.exit(2);
}

const inflater = await createInflater({ dictionary: repoFile(DICTIONARY_PATH), wasm: repoFile(WASM_PATH) });
const room = 700000 + Math.floor(Math.random() * 100000);
const frames = [];
class CapturingWebSocket extends WebSocket {
  constructor(u) {
    super(u);
    this.addEventListener('message', (ev) => {
      const b = new Uint8Array(ev.data);
      if (b[3] === 0x12) frames.push(b.slice());
    });
  }
}
const watcher = new DanmakuClient({ url, inflater, WebSocket: CapturingWebSocket });
const sender = new DanmakuClient({ url, inflater, userId: 424242 });
let received = 0;
watcher.on('bullets', ({ bullets }) => { received += bullets.length; });
try {
  await Promise.all([watcher.connect(), sender.connect()]);
  await sender.createRoom(room);
  await watcher.join(room);
} catch (e) {
  console.error(`bench-decode.js: ${e.message}`);
  process.exit(1);
}
const texts = ['前方高能', 'awsl', '哈哈哈哈哈哈', '666666', '这是什么神仙操作', 'gg', '泪目', '打卡', '高能预警!!!', '2333333'];
const colors = ['white', 'red', '#FFCC00', 'cyan', '#FF66CC', 'white'];
const acks = [];
const perTick = Math.max(1, Math.round(rate / 100));
const start = performance.now();
let n = 0;
for (let tick = 0; tick < seconds * 100; tick++) {
  const wait = start + tick * 10 - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  for (let k = 0; k < perTick; k++, n++) {
    const p = sender.send(room, `${texts[n % texts.length]} ${n}`, { name: `u${n % 50}`, color: colors[n % colors.length] });
    p.catch(() => {}); // counted below
    acks.push(p);
  }
}
const settled = await Promise.allSettled(acks);
const failed = settled.filter((s) => s.status === 'rejected');
const deadline = Date.now() + 5000;
while (received < acks.length - failed.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
watcher.close();
sender.close();

// Time decoding of the captured frames (warm-up first: JIT and the wasm heap).
const compressed = frames.filter((f) => f[26] !== 0);
for (let i = 0; i < 3; i++) for (const f of frames) decodeFrame(f, { inflater });
let bullets = 0; let bytes = 0; let rawBytes = 0;
const rounds = Math.max(5, Math.ceil(20000 / Math.max(1, frames.length)));
const t0 = performance.now();
for (let r = 0; r < rounds; r++) {
  for (const f of frames) {
    const d = decodeFrame(f, { inflater });
    bullets += d.count; bytes += f.length; rawBytes += d.rawLength;
  }
}
const ms = performance.now() - t0;
const decodes = rounds * frames.length;
console.log(JSON.stringify({
  node: process.version, offeredPerSecond: rate, seconds, sent: acks.length, rejected: failed.length,
  firstRejection: failed[0]?.reason?.message ?? null, received, batches: frames.length,
  compressedBatches: compressed.length, meanBulletsPerBatch: +(bullets / decodes).toFixed(1),
  meanFrameBytes: Math.round(bytes / decodes), meanRawBytes: Math.round(rawBytes / decodes),
  decodeMicrosPerBatch: +((ms * 1000) / decodes).toFixed(2), decodedBulletsPerSecond: Math.round(bullets / (ms / 1000)),
  inflatedMBPerSecond: +((rawBytes / 1e6) / (ms / 1000)).toFixed(1),
}));

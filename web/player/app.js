// The player page: a video area (a looping test pattern, or ?video=URL), the room's danmaku on a
// canvas over it, a send box, and a developer stats corner. State for tests and tools is exposed
// as window.__danmaku (docs/web.md). Query parameters: room, ws (WebSocket URL; default: the node
// that served the page), video, density (low|normal|high), user, name, create=0 (do not create a
// missing room), history (recent bullets to show on join, default 0).

import { DanmakuClient, createInflater, DisplayQueue, DanmakuRenderer, State } from '/lib/index.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const LAST_KEPT = 50;
const LATENCY_SAMPLES = 4096;
const FRAME_SAMPLES = 1200;

const stats = {
  state: State.IDLE, url: null, room: null, joined: false, epoch: 0, lastSeq: 0,
  received: 0, displayed: 0, displayDropped: 0, bulletsPerSecond: 0,
  latencyMs: { p50: null, p99: null, samples: 0 },
  resumes: 0, gapsResumed: 0, discontinuities: 0, lost: 0, reconnects: 0, redirects: 0,
  frames: { count: 0, p50: null, p99: null, max: null, over20ms: 0, over33ms: 0, fps: 0 },
  longTasks: 0, lastBullets: [], sendResults: [], errors: [], lastError: null, order: { lastSeq: 0, breaks: 0 },
};
window.__danmaku = stats;

const latencies = new Float64Array(LATENCY_SAMPLES);
let latencyCount = 0;
const frameTimes = new Float64Array(FRAME_SAMPLES);
let frameCount = 0;
let secondStart = performance.now();
let secondCount = 0;

function status(text, kind) {
  const el = $('send-status');
  el.textContent = text;
  el.className = kind ?? '';
}

function recordError(message) {
  stats.lastError = message;
  stats.errors.push(message);
  if (stats.errors.length > 20) stats.errors.shift();
}

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

// ---------------------------------------------------------------- video area

const pattern = $('pattern');
const pctx = pattern.getContext('2d');
const BARS = ['#c0c0c0', '#c0c000', '#00c0c0', '#00c000', '#c000c0', '#c00000', '#0000c0'];

function drawPattern(t) {
  const W = pattern.width; const H = pattern.height;
  const bw = W / BARS.length;
  for (let i = 0; i < BARS.length; i++) {
    pctx.fillStyle = BARS[i];
    pctx.fillRect(i * bw, 0, bw + 1, H * 0.7);
  }
  pctx.fillStyle = '#101010';
  pctx.fillRect(0, H * 0.7, W, H * 0.3);
  const x = ((t / 8) % (W + 120)) - 120;
  pctx.fillStyle = '#f0f0f0';
  pctx.fillRect(x, H * 0.76, 120, H * 0.16);
  pctx.fillStyle = '#fff';
  pctx.font = '28px ui-monospace, monospace';
  pctx.fillText(`test pattern  ${new Date().toISOString().slice(11, 23)}`, 24, H * 0.97);
}

const video = $('video');
function useVideo(url) {
  if (!url) {
    video.hidden = true;
    pattern.hidden = false;
    video.removeAttribute('src');
    return;
  }
  let u;
  try {
    u = new URL(url, location.href);
  } catch {
    status(`not a video URL: ${url}`, 'error');
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'blob:') {
    status(`video URL must be http(s): ${url}`, 'error');
    return;
  }
  video.src = u.href;
  video.hidden = false;
  pattern.hidden = true;
  video.play().catch((e) => status(`video: ${e.message}`, 'error'));
}
video.addEventListener('error', () => {
  status(`video could not be loaded (${video.error?.message || 'unsupported or unreachable'}); showing the test pattern`, 'error');
  useVideo('');
});
$('video-url').value = params.get('video') ?? '';
$('video-url').addEventListener('change', (e) => useVideo(e.target.value.trim()));
if (params.get('video')) useVideo(params.get('video'));

// ---------------------------------------------------------------- danmaku layer

const queue = new DisplayQueue({ capacity: 2000, maxAgeMs: 4000 });
const density = params.get('density') ?? 'normal';
const renderer = new DanmakuRenderer($('danmaku'), queue, { density: ['low', 'normal', 'high'].includes(density) ? density : 'normal' });
$('density').value = renderer.density;
$('density').addEventListener('change', (e) => renderer.setDensity(e.target.value));
$('pause').addEventListener('click', (e) => {
  renderer.setPaused(!renderer.paused);
  e.target.setAttribute('aria-pressed', String(renderer.paused));
  e.target.textContent = renderer.paused ? 'resume' : 'pause';
});
$('hide').addEventListener('click', (e) => {
  renderer.setHidden(!renderer.hidden);
  e.target.setAttribute('aria-pressed', String(renderer.hidden));
  e.target.textContent = renderer.hidden ? 'show danmaku' : 'hide danmaku';
});
// A hidden tab gets no animation frames: what waits would burst out on return. Drop it instead
// (display only: the client keeps receiving and its resume position stays exact).
document.addEventListener('visibilitychange', () => {
  if (document.hidden) queue.clear();
});

let lastFrame = 0;
function frame(t) {
  if (lastFrame) {
    frameTimes[frameCount % FRAME_SAMPLES] = t - lastFrame;
    frameCount++;
  }
  lastFrame = t;
  if (!pattern.hidden) drawPattern(t);
  stats.displayed += renderer.frame(t);
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
/** Starts the frame-time window afresh (a measurement run calls it before offering load). */
window.__danmakuFramesReset = () => { frameCount = 0; lastFrame = 0; stats.longTasks = 0; };

if (typeof PerformanceObserver === 'function' && PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
  new PerformanceObserver((list) => { stats.longTasks += list.getEntries().length; }).observe({ type: 'longtask' });
}

// ---------------------------------------------------------------- stats corner

function updateStats() {
  const now = performance.now();
  if (now - secondStart >= 1000) {
    stats.bulletsPerSecond = Math.round((secondCount * 1000) / (now - secondStart));
    secondStart = now;
    secondCount = 0;
  }
  const n = Math.min(latencyCount, LATENCY_SAMPLES);
  const lat = Array.from(latencies.subarray(0, n)).sort((a, b) => a - b);
  stats.latencyMs = { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), samples: latencyCount };
  const fn = Math.min(frameCount, FRAME_SAMPLES);
  const ft = Array.from(frameTimes.subarray(0, fn)).sort((a, b) => a - b);
  let over20 = 0; let over33 = 0;
  for (const x of ft) { if (x > 20) over20++; if (x > 33.4) over33++; }
  const mean = fn ? ft.reduce((s, x) => s + x, 0) / fn : 0;
  stats.frames = {
    count: frameCount, p50: percentile(ft, 0.5), p99: percentile(ft, 0.99), max: ft[fn - 1] ?? null,
    over20ms: over20, over33ms: over33, fps: mean ? Math.round(10000 / mean) / 10 : 0, window: fn,
  };
  stats.displayDropped = queue.dropped;
  if (client) {
    const c = client.counters;
    Object.assign(stats, {
      state: client.state, url: client.url, resumes: c.resumes, gapsResumed: c.gapsResumed,
      discontinuities: c.discontinuities, reconnects: c.reconnects, redirects: c.redirects, framesIn: c.framesIn,
      batches: c.batches, duplicates: c.duplicates,
    });
  }
  const f = (v) => (v === null ? '-' : v.toFixed(1));
  $('stats').textContent = [
    `state     ${stats.state}${stats.joined ? ` (room ${stats.room})` : ''}`,
    `bullets/s ${stats.bulletsPerSecond}   received ${stats.received}`,
    `latency   p50 ${f(stats.latencyMs.p50)} ms  p99 ${f(stats.latencyMs.p99)} ms`,
    `resumes   ${stats.resumes}  gaps resumed ${stats.gapsResumed}  lost ${stats.lost}`,
    `frames    ${stats.frames.fps} fps  p99 ${f(stats.frames.p99)} ms`,
    `display   shown ${stats.displayed}  dropped ${stats.displayDropped}`,
  ].join('\n');
}
setInterval(updateStats, 250);

// ---------------------------------------------------------------- connection

let client = null;

function userId() {
  const given = params.get('user');
  if (given) return given;
  let id = null;
  try { id = localStorage.getItem('danmaku.user'); } catch { /* storage off */ }
  if (!id || !/^[1-9][0-9]{0,15}$/.test(id)) {
    id = String(1 + Math.floor(Math.random() * 2 ** 52));
    try { localStorage.setItem('danmaku.user', id); } catch { /* storage off */ }
  }
  return id;
}

async function endpoint() {
  if (params.get('ws')) return { url: params.get('ws'), dictionary: '/danmaku-v1.dict' };
  const res = await fetch('/web-config.json');
  if (!res.ok) throw new Error(`/web-config.json: HTTP ${res.status} (pass ?ws=ws://HOST:PORT/ws)`);
  const cfg = await res.json();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return { url: `${scheme}://${location.hostname}:${cfg.wsPort}${cfg.wsPath}`, dictionary: cfg.dictionary };
}

function onBullets({ bullets }) {
  const now = Date.now();
  for (const b of bullets) {
    // The client promises each seq once and in order: count any break of that promise.
    if (stats.order.lastSeq !== 0 && b.seq !== stats.order.lastSeq + 1) stats.order.breaks++;
    stats.order.lastSeq = b.seq;
    latencies[latencyCount % LATENCY_SAMPLES] = Math.max(0, now - b.timestamp);
    latencyCount++;
    stats.lastBullets.push({ seq: b.seq, user: String(b.user), name: b.name, content: b.content, color: b.color });
  }
  if (stats.lastBullets.length > LAST_KEPT) stats.lastBullets.splice(0, stats.lastBullets.length - LAST_KEPT);
  stats.received += bullets.length;
  secondCount += bullets.length;
  const pos = client.position(stats.room);
  if (pos) { stats.epoch = pos.epoch; stats.lastSeq = pos.lastSeq; }
  if (!renderer.hidden) queue.push(bullets);
}

async function start() {
  const { url, dictionary } = await endpoint();
  const dictRes = await fetch(dictionary);
  if (!dictRes.ok) throw new Error(`${dictionary}: HTTP ${dictRes.status}`);
  const inflater = await createInflater({ dictionary: new Uint8Array(await dictRes.arrayBuffer()) });
  client = new DanmakuClient({ url, inflater, userId: userId() });
  window.__danmakuClient = client;
  client.on('state', (s) => { stats.state = s; });
  client.on('bullets', onBullets);
  client.on('discontinuity', (d) => { stats.lost += d.missing; recordError(`${d.kind} in room ${d.room}`); });
  client.on('error', (e) => recordError(e.message));
  client.on('closed', (e) => { recordError(e.message); status(`disconnected: ${e.message}`, 'error'); });
  await client.connect();
  await joinRoom($('room').value);
}

async function joinRoom(text) {
  if (!/^[1-9][0-9]{0,19}$/.test(text)) {
    status(`room must be a positive number (got "${text}")`, 'error');
    return;
  }
  if (stats.room && stats.room !== text) client.leave(stats.room);
  stats.room = text;
  stats.joined = false;
  try {
    if (params.get('create') !== '0') await client.createRoom(text);
    const history = Math.min(10000, Math.max(0, Number(params.get('history') ?? 0) | 0));
    const joined = await client.join(text, { history });
    stats.joined = true;
    stats.epoch = joined.epoch;
    status(`joined room ${text}`, 'ok');
  } catch (e) {
    recordError(e.message);
    status(`cannot join room ${text}: ${e.message}`, 'error');
  }
}

/** A short message for the send box; the code decides, the node's reason adds detail. */
export function describeSendError(e) {
  switch (e.codeName) {
    case 'RATE_LIMITED': return `too fast: rate limit${e.retryAfterMs ? `, retry in ${e.retryAfterMs} ms` : ''}`;
    case 'SENSITIVE_WORD': return 'not sent: contains a forbidden word';
    case 'BANNED': return 'not sent: you are banned';
    case 'DUPLICATE': return 'not sent: you just said that';
    case 'LEVEL_RESTRICTED': return 'not sent: links and contacts need a higher level';
    case 'UNAUTHENTICATED': return 'not sent: sign in first';
    default: return `not sent: ${e.message}`;
  }
}

$('room').value = params.get('room') ?? '9001';
$('name').value = params.get('name') ?? '';
$('join').addEventListener('click', () => joinRoom($('room').value.trim()));
$('send-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = $('text').value.trim();
  if (!client || !stats.joined) { status('not connected to a room yet', 'error'); return; }
  if (!text) { status('type something first', 'error'); return; }
  const name = $('name').value.trim();
  const color = $('color').value;
  try {
    const ack = await client.send(stats.room, text, { name, color });
    stats.sendResults.push({ ok: true, seq: ack.seq, text });
    $('text').value = '';
    status(`sent (#${ack.seq})`, 'ok');
  } catch (e) {
    stats.sendResults.push({ ok: false, code: e.code ?? null, codeName: e.codeName ?? null, text, message: e.message });
    status(describeSendError(e), 'error');
  }
});

start().catch((e) => {
  recordError(e.message);
  stats.state = 'failed';
  status(`cannot start: ${e.message}`, 'error');
});

// Danmaku on a canvas: bullets scroll right to left in lanes that never overlap, each crossing the
// screen in about the same time (so longer text moves faster), in the bullet's colour. Bullets come
// from a DisplayQueue; what cannot get a lane waits there and is dropped (counted) when stale.

const CSS_COLOR = /^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-zA-Z]{3,20})$/;
const NAMED = new Set(['white', 'black', 'red', 'green', 'blue', 'yellow', 'cyan', 'magenta', 'orange', 'pink',
  'purple', 'gray', 'grey', 'gold', 'lime', 'aqua', 'silver', 'violet', 'brown', 'navy', 'teal', 'maroon', 'olive']);

/** A bullet colour as a safe canvas fillStyle: #hex or a common CSS name, else white. */
export function safeColor(color) {
  if (typeof color !== 'string' || !CSS_COLOR.test(color)) return '#ffffff';
  if (color.startsWith('#')) return color;
  return NAMED.has(color.toLowerCase()) ? color.toLowerCase() : '#ffffff';
}

/** Density presets: the share of the screen height with lanes, and bullets on screen at most. */
export const Density = Object.freeze({
  low: { area: 0.25, maxOnScreen: 40 },
  normal: { area: 0.5, maxOnScreen: 120 },
  high: { area: 1.0, maxOnScreen: 400 },
});

export class DanmakuRenderer {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {import('./display.js').DisplayQueue} queue
   * @param {object} [o]
   * @param {number} [o.fontSize] px (default 22)
   * @param {number} [o.crossingMs] time for a bullet to cross the screen (default 7,000)
   * @param {'low'|'normal'|'high'} [o.density] default 'normal'
   * @param {number} [o.gapPx] minimum space between bullets in a lane (default 24)
   */
  constructor(canvas, queue, { fontSize = 22, crossingMs = 7000, density = 'normal', gapPx = 24 } = {}) {
    if (!canvas || typeof canvas.getContext !== 'function') throw new TypeError('DanmakuRenderer needs a canvas element');
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.queue = queue;
    this.fontSize = fontSize;
    this.crossingMs = crossingMs;
    this.gapPx = gapPx;
    this.setDensity(density);
    this.active = []; // {sprite, x, y, w, v (px/ms), lane}
    this.laneLast = [];
    this.paused = false;
    this.hidden = false;
    this.shown = 0;
    this.lastFrameAt = 0;
    this.font = `bold ${fontSize}px "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif`;
  }

  setDensity(name) {
    if (!Object.hasOwn(Density, name)) throw new RangeError(`density must be low, normal or high (got ${name})`);
    this.density = name;
    this.preset = Density[name];
  }

  /** Pauses the scrolling (bullets stay where they are; new ones wait in the queue). */
  setPaused(paused) {
    this.paused = Boolean(paused);
  }

  /** Hides the danmaku layer: nothing drawn, waiting bullets dropped (counted by the queue). */
  setHidden(hidden) {
    this.hidden = Boolean(hidden);
    if (this.hidden) {
      this.active = [];
      this.laneLast = [];
      this.queue.clear();
      this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    }
  }

  lanes() {
    const laneHeight = Math.round(this.fontSize * 1.35);
    return Math.max(1, Math.floor((this.canvas.height * this.preset.area) / laneHeight));
  }

  /** Is lane `i` free for a bullet of width w and speed v entering at the right edge now? */
  laneFree(i, w, v) {
    const prev = this.laneLast[i];
    if (!prev || prev.gone) return true;
    const W = this.canvas.width;
    const tail = prev.x + prev.w;
    if (tail + this.gapPx > W) return false; // the previous one has not fully entered yet
    if (v <= prev.v) return true; // never catches up
    const catchUpMs = (W - tail - this.gapPx) / (v - prev.v);
    const exitMs = tail / prev.v;
    return catchUpMs >= exitMs;
  }

  /** The bullet's outlined text drawn once into its own small canvas (text is the costly part of a frame). */
  sprite(text, color, w) {
    const h = Math.ceil(this.fontSize * 1.3) + 6;
    const c = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(Math.ceil(w) + 6, h)
      : Object.assign(document.createElement('canvas'), { width: Math.ceil(w) + 6, height: h });
    const g = c.getContext('2d');
    g.font = this.font;
    g.textBaseline = 'top';
    g.lineWidth = 3;
    g.strokeStyle = 'rgba(0,0,0,0.75)';
    g.strokeText(text, 3, 3);
    g.fillStyle = color;
    g.fillText(text, 3, 3);
    return c;
  }

  /** Advances and draws one frame; `now` is the rAF timestamp (ms). Returns bullets placed this frame. */
  frame(now) {
    const dt = this.lastFrameAt ? Math.min(now - this.lastFrameAt, 100) : 16;
    this.lastFrameAt = now;
    const ctx = this.ctx;
    const W = this.canvas.width;
    ctx.clearRect(0, 0, W, this.canvas.height);
    if (this.hidden) return 0;
    ctx.font = this.font; // for measureText
    if (!this.paused) {
      let kept = 0;
      for (const b of this.active) {
        b.x -= b.v * dt;
        if (b.x + b.w > 0) this.active[kept++] = b;
        else b.gone = true;
      }
      this.active.length = kept;
    }
    let placed = 0;
    if (!this.paused) {
      const lanes = this.lanes();
      const laneHeight = Math.round(this.fontSize * 1.35);
      let room = this.preset.maxOnScreen - this.active.length;
      while (room > 0) {
        const b = this.queue.peek();
        if (!b) break;
        const text = b.content;
        const w = ctx.measureText(text).width;
        const v = (W + w) / this.crossingMs;
        let lane = -1;
        for (let i = 0; i < lanes; i++) {
          if (this.laneFree(i, w, v)) { lane = i; break; }
        }
        if (lane < 0) break; // no lane yet: it waits (and goes stale) at the head of the queue
        this.queue.shift();
        const item = { sprite: this.sprite(text, safeColor(b.color), w), x: W, y: lane * laneHeight + 4, w, v, lane, gone: false };
        this.laneLast[lane] = item;
        this.active.push(item);
        room--;
        placed++;
      }
    }
    // One drawImage per bullet per frame: the outlined text was rasterised once, when it was placed.
    for (const b of this.active) {
      ctx.drawImage(b.sprite, Math.round(b.x) - 3, b.y - 3);
    }
    this.shown += placed;
    return placed;
  }
}

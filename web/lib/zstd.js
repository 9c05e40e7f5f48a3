// zstd inflation of BATCH payloads, with or without the protocol dictionary, over the vendored
// WebAssembly build of the reference zstd library (web/vendor/zstd-wasm, @bokuweb/zstd-wasm).
//
// Receiver rules (docs/protocol.md §5.7): the frame's declared content size is checked against
// the BATCH raw length before inflating (larger: INFLATE_LIMIT), the output buffer is exactly raw
// length bytes (zstd's "destination too small": INFLATE_LIMIT), and anything zstd rejects or an
// output shorter than raw length is BAD_COMPRESSION.

import { ProtocolError, Limits } from './protocol.js';

// ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are (unsigned long long)-1 / -2; the Emscripten build returns
// the low 32 bits of a 64-bit result, so they read back as -1 and -2.
const CONTENTSIZE_UNKNOWN = -1;
const CONTENTSIZE_ERROR = -2;
const DICT_MAGIC = 0xec30a437;

let modulePromise = null;

async function loadModule(wasm) {
  const { Module } = await import('../vendor/zstd-wasm/zstd.js');
  if (!Module.calledRun) {
    const ready = new Promise((resolve) => {
      const previous = Module.onRuntimeInitialized;
      Module.onRuntimeInitialized = () => { previous?.call(Module); resolve(); };
    });
    Module.init(wasm);
    await ready;
  }
  return Module;
}

/**
 * Loads the zstd module once per page (later calls share it).
 *
 * @param {string|URL|ArrayBuffer|Uint8Array} [wasm] where zstd.wasm is (default: beside the vendored
 *        zstd.js), or its bytes (Node, tests)
 */
function zstdModule(wasm) {
  if (!modulePromise) {
    let source = wasm ?? new URL('../vendor/zstd-wasm/zstd.wasm', import.meta.url).href;
    if (source instanceof URL) source = source.href;
    modulePromise = loadModule(source).catch((e) => {
      modulePromise = null;
      throw new Error(`cannot load the zstd decoder (${source instanceof Uint8Array ? 'given bytes' : source}): ${e.message ?? e}`);
    });
  }
  return modulePromise;
}

/**
 * Creates an inflater for decodeFrame's `inflater` option.
 *
 * @param {object} [options]
 * @param {Uint8Array|ArrayBuffer} [options.dictionary] the protocol dictionary (danmaku-v1.dict);
 *        without it, dictionary batches fail BAD_COMPRESSION
 * @param {string|URL|ArrayBuffer|Uint8Array} [options.wasm] zstd.wasm location or bytes
 * @returns {Promise<{inflate(payload: Uint8Array, rawLength: number, dictionary: boolean): Uint8Array, stats: object}>}
 */
export async function createInflater({ dictionary, wasm } = {}) {
  const M = await zstdModule(wasm);
  let dict = null;
  if (dictionary !== undefined && dictionary !== null) {
    dict = dictionary instanceof Uint8Array ? dictionary : new Uint8Array(dictionary);
    if (dict.length < 8 || new DataView(dict.buffer, dict.byteOffset, 4).getUint32(0, true) !== DICT_MAGIC) {
      throw new TypeError('the dictionary is not a zstd dictionary (magic 0xEC30A437 missing): '
        + 'load danmaku-v1.dict unchanged');
    }
  }
  const dctx = M._ZSTD_createDCtx();
  // The dictionary stays in the wasm heap for the inflater's lifetime; source and destination
  // buffers grow to the largest batch seen and are reused (no malloc per batch).
  const dictPtr = dict ? M._malloc(dict.length) : 0;
  if (dict) M.HEAPU8.set(dict, dictPtr);
  let src = 0; let srcCap = 0; let dst = 0; let dstCap = 0;
  const stats = { batches: 0, inBytes: 0, outBytes: 0 };

  function reserve(n, which) {
    if (which === 'src') {
      if (n > srcCap) { if (src) M._free(src); srcCap = Math.max(n, 4096); src = M._malloc(srcCap); }
      return src;
    }
    if (n > dstCap) { if (dst) M._free(dst); dstCap = Math.max(n, 16384); dst = M._malloc(dstCap); }
    return dst;
  }

  function inflate(payload, rawLength, withDictionary) {
    if (rawLength > Limits.MAX_BATCH_RAW) throw new ProtocolError(109, `raw length ${rawLength} past 1 MiB`);
    if (payload.length < 4) throw new ProtocolError(110, 'payload shorter than a zstd magic number');
    if (withDictionary && !dict) throw new ProtocolError(110, 'dictionary batch, but no dictionary was loaded');
    const s = reserve(payload.length, 'src');
    const d = reserve(Math.max(rawLength, 1), 'dst');
    M.HEAPU8.set(payload, s); // HEAPU8 read after malloc: the heap may have grown
    const size = M._ZSTD_getFrameContentSize(s, payload.length);
    if (size === CONTENTSIZE_ERROR) throw new ProtocolError(110, 'not a zstd frame');
    if (size !== CONTENTSIZE_UNKNOWN && size > rawLength) {
      throw new ProtocolError(109, `zstd frame declares ${size} bytes; the BATCH says ${rawLength}`);
    }
    const n = withDictionary
      ? M._ZSTD_decompress_usingDict(dctx, d, rawLength, s, payload.length, dictPtr, dict.length)
      : M._ZSTD_decompress(d, rawLength, s, payload.length);
    if (M._ZSTD_isError(n)) {
      // ZSTD_error_dstSize_tooSmall is 70; errors come back as -code in the low 32 bits.
      const code = -(n | 0);
      if (code === 70) throw new ProtocolError(109, `payload inflates past raw length ${rawLength}`);
      throw new ProtocolError(110, `zstd error ${code}`);
    }
    if (n !== rawLength) throw new ProtocolError(110, `payload inflated to ${n} bytes, raw length is ${rawLength}`);
    stats.batches++; stats.inBytes += payload.length; stats.outBytes += n;
    return M.HEAPU8.slice(d, d + n);
  }

  function close() {
    for (const p of [src, dst, dictPtr]) if (p) M._free(p);
    src = dst = 0; srcCap = dstCap = 0;
    M._ZSTD_freeDCtx(dctx);
  }

  return { inflate, close, stats, hasDictionary: dict !== null };
}

// The danmaku wire protocol, version 1 (docs/protocol.md): encoders for the frames a client sends
// and a validating decoder for every frame type. Plain ES module, no dependencies; BATCH frames
// with zstd payloads need an inflater (./zstd.js) passed to decodeFrame.
//
// Values: u64 ids (user, room) decode to a number when <= Number.MAX_SAFE_INTEGER, else to a
// bigint; encoders accept a safe integer number, a bigint or a decimal string. Sequence numbers,
// timestamps and epochs are numbers (a sequence past 2^53 - 1 is refused as INVALID_FIELD: no
// real room gets there). Decoded frames are plain objects in the JSON form of docs/protocol.md §7.

export const MAGIC = 0xabcd;
export const VERSION = 0x01;

/** Frame type codes by name (docs/protocol.md §3). */
export const FrameType = Object.freeze({
  BULLET: 0x01, HEARTBEAT: 0x02, CREATE_ROOM: 0x03, CHECK_ROOM: 0x04, JOIN: 0x05, LEAVE: 0x06, AUTH: 0x07,
  ACK: 0x10, ERROR: 0x11, BATCH: 0x12, REDIRECT: 0x13, ROOM_INFO: 0x14, RANKING: 0x15, JOINED: 0x16, AUTH_OK: 0x17,
});
const TYPE_NAMES = new Map(Object.entries(FrameType).map(([k, v]) => [v, k]));

/** Limits (docs/protocol.md §4). */
export const Limits = Object.freeze({
  MAX_CLIENT_FRAME: 4096, MAX_CLIENT_FRAME_NON_AUTH: 1024, MAX_SERVER_FRAME: 1048611,
  MAX_NAME: 64, MAX_CONTENT: 512, MAX_COLOR: 32, MAX_TOKEN: 2048, MAX_REASON: 256, MAX_ADDRESS: 256,
  MAX_BATCH_COUNT: 4096, MAX_BATCH_RAW: 1048576, MAX_RANKING: 100, MAX_JOIN_HISTORY: 10000,
});

/** Error codes (docs/protocol.md §6): name -> {code, retriable, message}. */
export const ErrorCode = Object.freeze(Object.fromEntries([
  [100, 'BAD_MAGIC', false, 'bad magic (expected 0xABCD)'],
  [101, 'BAD_VERSION', false, 'unsupported protocol version'],
  [102, 'UNKNOWN_TYPE', false, 'unknown frame type'],
  [103, 'TRUNCATED', false, 'frame shorter than its fixed fields'],
  [104, 'LENGTH_OUT_OF_BOUNDS', false, 'length prefix runs past the end of the frame'],
  [105, 'TRAILING_BYTES', false, 'bytes after the last field'],
  [106, 'INVALID_UTF8', false, 'string is not valid UTF-8'],
  [107, 'FIELD_TOO_LONG', false, 'string field longer than its limit'],
  [108, 'FRAME_TOO_LARGE', false, 'frame larger than the maximum frame size'],
  [109, 'INFLATE_LIMIT', false, 'compressed payload inflates past its limit'],
  [110, 'BAD_COMPRESSION', false, 'compressed payload is corrupt'],
  [111, 'BAD_COUNT', false, 'entry count out of range or not matching the payload'],
  [112, 'INVALID_FIELD', false, 'field value out of range'],
  [113, 'UNEXPECTED_TYPE', false, 'frame type not allowed in this direction or state'],
  [200, 'BUSY', true, 'node busy, retry later'],
  [201, 'RATE_LIMITED', true, 'rate limit exceeded'],
  [202, 'DUPLICATE', false, 'duplicate bullet'],
  [203, 'BANNED', false, 'user or address is banned'],
  [204, 'SENSITIVE_WORD', false, 'content contains a forbidden word'],
  [205, 'LEVEL_RESTRICTED', false, 'user level may not post links or contacts'],
  [207, 'TIMESTAMP_SKEW', false, 'timestamp too far from server time'],
  [300, 'ROOM_NOT_FOUND', false, 'no such room'],
  [301, 'TOO_MANY_ROOMS', true, 'room limit reached'],
  [302, 'ROOM_MOVING', true, 'the room is being handed to another node'],
  [303, 'CLUSTER_UNAVAILABLE', true, 'the node cannot reach the cluster map'],
  [400, 'UNAUTHENTICATED', false, 'authentication required'],
  [401, 'AUTH_FAILED', false, 'token rejected'],
  [402, 'TOKEN_EXPIRED', false, 'token expired'],
  [403, 'TOO_MANY_CONNECTIONS', true, 'too many connections'],
  [404, 'SLOW_CONSUMER', true, 'viewer too slow, disconnected'],
  [405, 'IDLE_TIMEOUT', true, 'idle timeout'],
  [406, 'SHUTTING_DOWN', true, 'node shutting down'],
  [500, 'INTERNAL', true, 'internal error'],
].map(([code, name, retriable, message]) => [name, Object.freeze({ code, name, retriable, message })])));
const BY_CODE = new Map(Object.values(ErrorCode).map((e) => [e.code, e]));

/** The error-code entry for a numeric code, or a synthetic UNKNOWN_<code> entry. */
export function errorCode(code) {
  return BY_CODE.get(code) ?? { code, name: `UNKNOWN_${code}`, retriable: false, message: `error code ${code}` };
}

/**
 * A frame that breaks the protocol: `code` and `codeName` are the §6 error (e.g. 104
 * LENGTH_OUT_OF_BOUNDS), the message says which field.
 */
export class ProtocolError extends Error {
  constructor(code, detail) {
    const e = errorCode(code);
    super(`error ${code} ${e.name}: ${detail ?? e.message}`);
    this.name = 'ProtocolError';
    this.code = code;
    this.codeName = e.name;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------- encoding

/** Converts an id (number, bigint, decimal string) to a u64 bigint, or throws a TypeError naming the field. */
export function toU64(value, field) {
  let v;
  if (typeof value === 'bigint') {
    v = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new TypeError(`${field} must be a safe integer, a bigint or a decimal string (got ${value})`);
    }
    v = BigInt(value);
  } else if (typeof value === 'string' && /^[0-9]{1,20}$/.test(value)) {
    v = BigInt(value);
  } else {
    throw new TypeError(`${field} must be an unsigned 64-bit integer (got ${typeof value} ${String(value)})`);
  }
  if (v < 0n || v > U64_MAX) {
    throw new RangeError(`${field} must be in [0, 2^64 - 1] (got ${v})`);
  }
  return v;
}

function toI64(value, field) {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${field} must be a non-negative safe integer (got ${String(value)})`);
  }
  return BigInt(value);
}

function toU32(value, field) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${field} must be an integer in [0, 2^32 - 1] (got ${String(value)})`);
  }
  return value;
}

function utf8(text, field, min, max) {
  if (typeof text !== 'string') {
    throw new TypeError(`${field} must be a string (got ${typeof text})`);
  }
  if (/[\uD800-\uDFFF]/u.test(text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    throw new TypeError(`${field} contains a lone surrogate (not encodable as UTF-8)`);
  }
  const bytes = utf8Encoder.encode(text);
  if (bytes.length > max) {
    throw new RangeError(`${field} is ${bytes.length} UTF-8 bytes; at most ${max} allowed`);
  }
  if (bytes.length < min) {
    throw new RangeError(min === 1 ? `${field} must not be empty` : `${field} must be at least ${min} bytes`);
  }
  return bytes;
}

class Writer {
  constructor(length) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
    this.p = 0;
  }
  u8(v) { this.view.setUint8(this.p, v); this.p += 1; return this; }
  u16(v) { this.view.setUint16(this.p, v); this.p += 2; return this; }
  u32(v) { this.view.setUint32(this.p, v); this.p += 4; return this; }
  u64(v) { this.view.setBigUint64(this.p, v); this.p += 8; return this; }
  str(b) { this.u16(b.length); this.bytes.set(b, this.p); this.p += b.length; return this; }
  preamble(type) { return this.u16(MAGIC).u8(VERSION).u8(type); }
}

/** BULLET: {timestamp, user, room, name, content, color}. */
export function encodeBullet({ timestamp, user, room, name = '', content, color = '' }) {
  const ts = toI64(timestamp, 'timestamp');
  const u = toU64(user, 'user');
  const r = toU64(room, 'room');
  if (u === 0n) throw new RangeError('user must not be 0');
  if (r === 0n) throw new RangeError('room must not be 0');
  const n = utf8(name, 'name', 0, Limits.MAX_NAME);
  const c = utf8(content, 'content', 1, Limits.MAX_CONTENT);
  const col = utf8(color, 'color', 0, Limits.MAX_COLOR);
  return new Writer(34 + n.length + c.length + col.length).preamble(FrameType.BULLET).u64(ts).u64(u).u64(r)
    .str(n).str(c).str(col).bytes;
}

function roomRequest(type, { timestamp, user = 0, room = 0 }) {
  const r = toU64(room, 'room');
  if (r === 0n && type !== FrameType.HEARTBEAT) throw new RangeError('room must not be 0');
  return new Writer(28).preamble(type).u64(toI64(timestamp, 'timestamp')).u64(toU64(user, 'user')).u64(r).bytes;
}

/** HEARTBEAT: {timestamp, user = 0}. */
export const encodeHeartbeat = (f) => roomRequest(FrameType.HEARTBEAT, { ...f, room: 0 });
/** CREATE_ROOM: {timestamp, user = 0, room}. */
export const encodeCreateRoom = (f) => roomRequest(FrameType.CREATE_ROOM, f);
/** CHECK_ROOM: {timestamp, user = 0, room}. */
export const encodeCheckRoom = (f) => roomRequest(FrameType.CHECK_ROOM, f);
/** LEAVE: {timestamp, user = 0, room}. */
export const encodeLeave = (f) => roomRequest(FrameType.LEAVE, f);

/** JOIN: {timestamp, user = 0, room, resume = false, epoch = 0, lastSeq = 0, history = 0}. */
export function encodeJoin({ timestamp, user = 0, room, resume = false, epoch = 0, lastSeq = 0, history = 0 }) {
  const r = toU64(room, 'room');
  if (r === 0n) throw new RangeError('room must not be 0');
  if (!Number.isInteger(history) || history < 0 || history > Limits.MAX_JOIN_HISTORY) {
    throw new RangeError(`history must be an integer in [0, ${Limits.MAX_JOIN_HISTORY}] (got ${String(history)})`);
  }
  if (!resume && (epoch !== 0 || lastSeq !== 0)) {
    throw new RangeError('epoch and lastSeq must be 0 unless resume is set');
  }
  return new Writer(43).preamble(FrameType.JOIN).u64(toI64(timestamp, 'timestamp')).u64(toU64(user, 'user')).u64(r)
    .u8(resume ? 1 : 0).u32(toU32(epoch, 'epoch')).u64(toI64(lastSeq, 'lastSeq')).u16(history).bytes;
}

/** AUTH: {timestamp, token} (a compact JWS, 1-2,048 bytes of printable ASCII). */
export function encodeAuth({ timestamp, token }) {
  if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
    throw new TypeError('token must be a non-empty string of printable ASCII (0x21-0x7E)');
  }
  const t = utf8(token, 'token', 1, Limits.MAX_TOKEN);
  return new Writer(14 + t.length).preamble(FrameType.AUTH).u64(toI64(timestamp, 'timestamp')).str(t).bytes;
}

/** Encodes a client frame given in its JSON form ({type: 'BULLET', ...}). */
export function encodeFrame(frame) {
  switch (frame?.type) {
    case 'BULLET': return encodeBullet(frame);
    case 'HEARTBEAT': return encodeHeartbeat(frame);
    case 'CREATE_ROOM': return encodeCreateRoom(frame);
    case 'CHECK_ROOM': return encodeCheckRoom(frame);
    case 'LEAVE': return encodeLeave(frame);
    case 'JOIN': return encodeJoin(frame);
    case 'AUTH': return encodeAuth(frame);
    default: throw new TypeError(`cannot encode frame type ${JSON.stringify(frame?.type)}: a client sends `
      + 'BULLET, HEARTBEAT, CREATE_ROOM, CHECK_ROOM, JOIN, LEAVE or AUTH');
  }
}

// ---------------------------------------------------------------- decoding

class Reader {
  constructor(bytes, offset, end) {
    this.b = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.p = offset;
    this.end = end;
  }
  u8() { const v = this.view.getUint8(this.p); this.p += 1; return v; }
  u16() { const v = this.view.getUint16(this.p); this.p += 2; return v; }
  u32() { const v = this.view.getUint32(this.p); this.p += 4; return v; }
  /** u64 id: number when safe, else bigint. */
  id() { const v = this.view.getBigUint64(this.p); this.p += 8; return v <= MAX_SAFE ? Number(v) : v; }
  /** i64 that must be >= 0 and safe (timestamps, sequences, scores): -1 marks "out of range". */
  i64() { const v = this.view.getBigInt64(this.p); this.p += 8; return v >= 0n && v <= MAX_SAFE ? Number(v) : -1; }
  /** A string field (docs/protocol.md §1) with the decoder's checks, in the Java codec's order. */
  str(min, max) {
    if (this.end - this.p < 2) throw new ProtocolError(103, 'string length prefix truncated');
    const n = this.u16();
    if (n > this.end - this.p) throw new ProtocolError(104, `string of ${n} bytes runs past the end of the frame`);
    if (n > max) throw new ProtocolError(107, `string of ${n} bytes; the limit is ${max}`);
    if (n < min) throw new ProtocolError(112, 'empty string where one is required');
    let s;
    try {
      s = utf8Decoder.decode(this.b.subarray(this.p, this.p + n));
    } catch {
      throw new ProtocolError(106);
    }
    this.p += n;
    return s;
  }
}

function exact(length, fixed) {
  if (length < fixed) throw new ProtocolError(103, `frame of ${length} bytes; this type has ${fixed}`);
  if (length > fixed) throw new ProtocolError(105, `frame of ${length} bytes; this type has ${fixed}`);
}

function atLeast(length, fixed) {
  if (length < fixed) throw new ProtocolError(103, `frame of ${length} bytes; this type needs at least ${fixed}`);
}

function noTrailing(r) {
  if (r.p !== r.end) throw new ProtocolError(105, `${r.end - r.p} bytes after the last field`);
}

function invalid(cond, what) {
  if (cond) throw new ProtocolError(112, what);
}

function bulletStrings(r) {
  const name = r.str(0, Limits.MAX_NAME);
  const content = r.str(1, Limits.MAX_CONTENT);
  const color = r.str(0, Limits.MAX_COLOR);
  return { name, content, color };
}

const JOINED_STATUS = ['LIVE', 'RECOVERED', 'NOT_RECOVERED'];

/**
 * Decodes and validates one frame (one WebSocket binary message).
 *
 * @param {Uint8Array|ArrayBuffer} input the frame
 * @param {object} [options]
 * @param {{inflate(payload: Uint8Array, rawLength: number, dictionary: boolean): Uint8Array}} [options.inflater]
 *        needed for compressed BATCH frames (see ./zstd.js); without one they fail BAD_COMPRESSION
 * @param {number} [options.maxFrameLength] largest frame accepted (default: the node frame limit)
 * @param {number} [options.maxRawLength] inflate limit for BATCH payloads (default 1 MiB)
 * @returns {object} the frame in the JSON form of docs/protocol.md §7
 * @throws {ProtocolError} with the §6 code a decoder must answer
 */
export function decodeFrame(input, options = {}) {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const length = bytes.length;
  const maxFrame = options.maxFrameLength ?? Limits.MAX_SERVER_FRAME;
  if (length > maxFrame) throw new ProtocolError(108, `frame of ${length} bytes; the limit is ${maxFrame}`);
  if (length < 2) throw new ProtocolError(103, `frame of ${length} bytes`);
  if (((bytes[0] << 8) | bytes[1]) !== MAGIC) throw new ProtocolError(100);
  if (length < 4) throw new ProtocolError(103, `frame of ${length} bytes`);
  if (bytes[2] !== VERSION) throw new ProtocolError(101, `unsupported protocol version ${bytes[2]}`);
  const type = TYPE_NAMES.get(bytes[3]);
  if (type === undefined) throw new ProtocolError(102, `unknown frame type 0x${bytes[3].toString(16).padStart(2, '0')}`);
  const r = new Reader(bytes, 4, length);
  switch (type) {
    case 'BULLET': {
      atLeast(length, 28);
      const timestamp = r.i64(); const user = r.id(); const room = r.id();
      const s = bulletStrings(r);
      noTrailing(r);
      invalid(timestamp < 0 || user === 0 || room === 0, 'timestamp, user or room out of range');
      return { type, timestamp, user, room, ...s };
    }
    case 'HEARTBEAT': case 'CREATE_ROOM': case 'CHECK_ROOM': case 'LEAVE': {
      exact(length, 28);
      const timestamp = r.i64(); const user = r.id(); const room = r.id();
      invalid(timestamp < 0 || (room === 0 && type !== 'HEARTBEAT'), 'timestamp or room out of range');
      return { type, timestamp, user, room };
    }
    case 'JOIN': {
      exact(length, 43);
      const timestamp = r.i64(); const user = r.id(); const room = r.id();
      const flags = r.u8(); const epoch = r.u32(); const lastSeq = r.i64(); const history = r.u16();
      const resume = (flags & 1) !== 0;
      invalid(timestamp < 0 || room === 0 || (flags & ~1) !== 0 || history > Limits.MAX_JOIN_HISTORY || lastSeq < 0
        || (!resume && (epoch !== 0 || lastSeq !== 0)), 'JOIN field out of range');
      return { type, timestamp, user, room, resume, epoch, lastSeq, history };
    }
    case 'AUTH': {
      atLeast(length, 14);
      const timestamp = r.i64();
      const token = r.str(1, Limits.MAX_TOKEN);
      noTrailing(r);
      invalid(!/^[\x21-\x7e]+$/.test(token), 'token is not printable ASCII');
      invalid(timestamp < 0, 'timestamp out of range');
      return { type, timestamp, token };
    }
    case 'ACK': {
      exact(length, 33);
      const timestamp = r.i64(); const room = r.id(); const epoch = r.u32(); const seq = r.i64(); const flags = r.u8();
      invalid(timestamp < 0 || room === 0 || seq < 1 || (flags & ~1) !== 0, 'ACK field out of range');
      return { type, timestamp, room, epoch, seq, retry: (flags & 1) !== 0 };
    }
    case 'ERROR': {
      atLeast(length, 29);
      const code = r.u16(); const ref = r.u8(); const refTimestamp = r.i64(); const room = r.id();
      const retryAfterMs = r.u32();
      const reason = r.str(0, Limits.MAX_REASON);
      noTrailing(r);
      invalid(code === 0 || refTimestamp < 0, 'ERROR code or ref timestamp out of range');
      return {
        type, code, name: errorCode(code).name, refType: ref === 0 ? 'NONE' : (TYPE_NAMES.get(ref) ?? `0x${ref.toString(16)}`),
        refTimestamp, room, retryAfterMs, reason,
      };
    }
    case 'BATCH': return decodeBatch(bytes, r, options);
    case 'REDIRECT': {
      atLeast(length, 19);
      const room = r.id(); const kind = r.u8(); const epoch = r.u32();
      const address = r.str(1, Limits.MAX_ADDRESS);
      noTrailing(r);
      invalid(room === 0 || (kind !== 1 && kind !== 2), 'REDIRECT room or kind out of range');
      return { type, room, kind: kind === 1 ? 'REDIRECT' : 'MOVED', epoch, address };
    }
    case 'ROOM_INFO': {
      atLeast(length, 39);
      const timestamp = r.i64(); const room = r.id(); const flags = r.u8(); const viewers = r.u32();
      const epoch = r.u32(); const lastSeq = r.i64();
      const owner = r.str(0, Limits.MAX_ADDRESS);
      noTrailing(r);
      invalid(timestamp < 0 || room === 0 || (flags & ~7) !== 0 || lastSeq < 0, 'ROOM_INFO field out of range');
      return {
        type, timestamp, room, exists: (flags & 1) !== 0, created: (flags & 2) !== 0, local: (flags & 4) !== 0,
        viewers, epoch, lastSeq, owner,
      };
    }
    case 'RANKING': {
      atLeast(length, 21);
      const room = r.id(); const timestamp = r.i64(); const n = r.u8();
      if (n > Limits.MAX_RANKING) throw new ProtocolError(111, `${n} ranking entries; at most ${Limits.MAX_RANKING}`);
      exact(length, 21 + 16 * n);
      const entries = [];
      let previous = Infinity;
      for (let i = 0; i < n; i++) {
        const user = r.id(); const score = r.i64();
        invalid(score < 0 || score > previous, 'ranking scores must be non-negative and non-increasing');
        previous = score;
        entries.push({ user, score });
      }
      invalid(timestamp < 0, 'timestamp out of range');
      return { type, room, timestamp, entries };
    }
    case 'JOINED': {
      exact(length, 33);
      const room = r.id(); const epoch = r.u32(); const status = r.u8(); const lastSeq = r.i64(); const nextSeq = r.i64();
      invalid(room === 0 || status > 2 || lastSeq < 0 || nextSeq < 1, 'JOINED field out of range');
      return { type, room, epoch, status: JOINED_STATUS[status], lastSeq, nextSeq };
    }
    case 'AUTH_OK': {
      exact(length, 21);
      const user = r.id(); const level = r.u8(); const expiresAt = r.i64();
      invalid(user === 0 || expiresAt < 0, 'AUTH_OK field out of range');
      return { type, user, level, expiresAt };
    }
    default:
      throw new ProtocolError(102);
  }
}

const FLAG_ZSTD = 1;
const FLAG_DICT = 2;

function decodeBatch(bytes, r, options) {
  const length = bytes.length;
  atLeast(length, 35);
  const room = r.id(); const epoch = r.u32(); const firstSeqBig = r.view.getBigInt64(r.p); r.p += 8;
  const count = r.u16(); const flags = r.u8(); const rawLength = r.u32(); const payloadLength = r.u32();
  const available = length - 35;
  if (payloadLength > available) throw new ProtocolError(104, `payload length ${payloadLength}; ${available} bytes follow`);
  if (payloadLength < available) throw new ProtocolError(105, `payload length ${payloadLength}; ${available} bytes follow`);
  invalid(room === 0 || firstSeqBig < 1n || (flags & ~(FLAG_ZSTD | FLAG_DICT)) !== 0 || flags === FLAG_DICT,
    'BATCH room, first seq or flags out of range');
  if (count < 1 || count > Limits.MAX_BATCH_COUNT || count * 22 + count > rawLength) {
    throw new ProtocolError(111, `count ${count} with ${rawLength} payload bytes`);
  }
  const maxRaw = options.maxRawLength ?? Limits.MAX_BATCH_RAW;
  if (rawLength > maxRaw) throw new ProtocolError(109, `raw length ${rawLength}; the inflate limit is ${maxRaw}`);
  invalid(firstSeqBig + BigInt(count) - 1n > MAX_SAFE, 'sequence past 2^53 - 1 (unsupported by this client)');
  const firstSeq = Number(firstSeqBig);
  const compressed = (flags & FLAG_ZSTD) !== 0;
  const dictionary = (flags & FLAG_DICT) !== 0;
  let payload = bytes.subarray(35, 35 + payloadLength);
  if (!compressed) {
    invalid(payloadLength !== rawLength, 'uncompressed payload length differs from raw length');
  } else {
    if (!options.inflater) throw new ProtocolError(110, 'compressed BATCH but no zstd inflater was given');
    payload = options.inflater.inflate(payload, rawLength, dictionary);
  }
  const p = new Reader(payload, 0, payload.length);
  const bullets = new Array(count);
  for (let i = 0; i < count; i++) {
    if (p.end - p.p < 16) throw new ProtocolError(103, `bullet ${i} of ${count} truncated`);
    const timestamp = p.i64(); const user = p.id();
    const s = bulletStrings(p);
    invalid(timestamp < 0 || user === 0, `bullet ${i}: timestamp or user out of range`);
    bullets[i] = { seq: firstSeq + i, timestamp, user, ...s };
  }
  noTrailing(p);
  return {
    type: 'BATCH', room, epoch, firstSeq, count, compression: compressed ? (dictionary ? 'zstd-dict' : 'zstd') : 'none',
    rawLength, payloadLength, bullets,
  };
}

/** Hex (whitespace ignored) to bytes; throws on odd length or non-hex characters. */
export function fromHex(hex) {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new TypeError('not an even-length hex string');
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.substr(2 * i, 2), 16);
  return out;
}

/** Bytes to lower-case hex. */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

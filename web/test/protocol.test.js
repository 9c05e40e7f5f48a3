import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeFrame, encodeFrame, encodeBullet, encodeJoin, encodeAuth, encodeHeartbeat, fromHex, toHex, ProtocolError, toU64 }
  from '../lib/protocol.js';
import { createInflater } from '../lib/zstd.js';
import { readVectors, repoFile, DICTIONARY_PATH, WASM_PATH } from '../testing/vectors.js';

const { valid, invalid } = readVectors();
const CLIENT_TYPES = new Set(['BULLET', 'HEARTBEAT', 'CREATE_ROOM', 'CHECK_ROOM', 'JOIN', 'LEAVE', 'AUTH']);
let inflater;

before(async () => {
  inflater = await createInflater({ dictionary: repoFile(DICTIONARY_PATH), wasm: repoFile(WASM_PATH) });
});

describe('test vectors from docs/protocol.md', () => {
  test('the dictionary the page loads is the one the protocol names', () => {
    const sha = createHash('sha256').update(repoFile(DICTIONARY_PATH)).digest('hex');
    assert.equal(sha, '2b662058c993bdc7a7820978332f7e472e7b47dbc273f49683a62e46cf4c14c5');
  });

  for (const v of valid) {
    test(`decodes ${v.name} to exactly its JSON form`, () => {
      assert.deepStrictEqual(decodeFrame(fromHex(v.hex), { inflater }), v.json);
    });
    if (CLIENT_TYPES.has(v.json.type)) {
      test(`encodes ${v.name} to exactly its bytes`, () => {
        assert.equal(toHex(encodeFrame(v.json)), v.hex.toLowerCase());
      });
    }
  }

  for (const v of invalid) {
    test(`rejects ${v.name} with error ${v.code} and nothing else`, () => {
      assert.throws(() => decodeFrame(fromHex(v.hex), { inflater }), (e) => {
        assert.ok(e instanceof ProtocolError, `not a ProtocolError: ${e}`);
        assert.equal(e.code, v.code, e.message);
        return true;
      });
    });
  }

  test('covers every node-to-client type', () => {
    const seen = new Set(valid.map((v) => v.json.type));
    for (const t of ['ACK', 'ERROR', 'BATCH', 'REDIRECT', 'ROOM_INFO', 'RANKING', 'JOINED', 'AUTH_OK']) {
      assert.ok(seen.has(t), `no vector of type ${t}`);
    }
    assert.ok(valid.some((v) => v.json.compression === 'zstd-dict'), 'no dictionary batch vector');
  });
});

describe('decoder edge cases', () => {
  const batchDict = valid.find((v) => v.json.compression === 'zstd-dict');

  test('a dictionary batch without a dictionary is BAD_COMPRESSION, not garbage', async () => {
    const plain = await createInflater({});
    assert.throws(() => decodeFrame(fromHex(batchDict.hex), { inflater: plain }), { code: 110 });
  });

  test('a compressed batch without any inflater is BAD_COMPRESSION', () => {
    assert.throws(() => decodeFrame(fromHex(batchDict.hex)), { code: 110 });
  });

  test('a lower inflate limit is honoured before inflating', () => {
    assert.throws(() => decodeFrame(fromHex(batchDict.hex), { inflater, maxRawLength: 100 }), { code: 109 });
  });

  test('frames past the frame limit are FRAME_TOO_LARGE', () => {
    assert.throws(() => decodeFrame(new Uint8Array(2000), { maxFrameLength: 1024 }), { code: 108 });
  });

  test('every truncation of every vector is rejected with a protocol error, never a crash', () => {
    for (const v of valid) {
      const bytes = fromHex(v.hex);
      for (let n = 0; n < bytes.length; n++) {
        assert.throws(() => decodeFrame(bytes.subarray(0, n), { inflater }), (e) => e instanceof ProtocolError,
          `${v.name} cut to ${n} bytes`);
      }
    }
  });

  test('seeded single-byte mutations give a frame or a ProtocolError, nothing else', () => {
    let seed = 20240615;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    for (let i = 0; i < 5000; i++) {
      const v = valid[rnd() % valid.length];
      const bytes = fromHex(v.hex);
      bytes[rnd() % bytes.length] ^= 1 << (rnd() % 8);
      try {
        decodeFrame(bytes, { inflater });
      } catch (e) {
        assert.ok(e instanceof ProtocolError, `seed ${seed}, ${v.name}: ${e}`);
      }
    }
  });
});

describe('encoder input checks', () => {
  const base = { timestamp: 1, user: 1, room: 1, name: 'n', content: 'c', color: '' };
  const cases = [
    [{ ...base, content: '' }, /content must not be empty/],
    [{ ...base, content: 'x'.repeat(513) }, /content is 513 UTF-8 bytes; at most 512/],
    [{ ...base, name: '名'.repeat(22) }, /name is 66 UTF-8 bytes; at most 64/],
    [{ ...base, color: '#'.repeat(33) }, /color is 33 UTF-8 bytes/],
    [{ ...base, room: 0 }, /room must not be 0/],
    [{ ...base, user: 0 }, /user must not be 0/],
    [{ ...base, user: 2 ** 60 }, /user must be a safe integer/],
    [{ ...base, user: -1 }, /user must be in/],
    [{ ...base, timestamp: -5 }, /timestamp must be a non-negative safe integer/],
    [{ ...base, content: 'a\uD800b' }, /lone surrogate/],
  ];
  for (const [frame, message] of cases) {
    test(`BULLET ${message}`, () => assert.throws(() => encodeBullet(frame), message));
  }

  test('u64 ids accept bigint and decimal strings, and decode back beyond 2^53 as bigint', () => {
    const big = (1n << 63n) + 5n;
    const f = decodeFrame(encodeBullet({ ...base, user: big, room: '18446744073709551615' }));
    assert.equal(f.user, big);
    assert.equal(f.room, 18446744073709551615n);
    assert.throws(() => toU64('12a', 'room'), /room must be an unsigned 64-bit integer/);
    assert.throws(() => toU64(1n << 64n, 'room'), /room must be in/);
  });

  test('JOIN and AUTH check their fields', () => {
    assert.throws(() => encodeJoin({ timestamp: 1, room: 1, history: 10001 }), /history must be an integer in \[0, 10000\]/);
    assert.throws(() => encodeJoin({ timestamp: 1, room: 1, epoch: 3 }), /unless resume is set/);
    assert.throws(() => encodeAuth({ timestamp: 1, token: 'a b' }), /printable ASCII/);
    assert.throws(() => encodeFrame({ type: 'ACK' }), /cannot encode frame type "ACK"/);
    assert.equal(encodeHeartbeat({ timestamp: 5 }).length, 28);
  });
});

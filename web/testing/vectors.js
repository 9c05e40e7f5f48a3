// Reads the protocol test vectors from docs/protocol.md §8 at test time (the single truth shared
// with the Java codec's ProtocolVectorsTest), and the repository files the tests need.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The repository file at `relative`, as bytes. */
export function repoFile(relative) {
  return readFileSync(path.join(ROOT, relative));
}

/**
 * Every ```vector name=...``` and ```vector-error name=... code=...``` block of docs/protocol.md:
 * {name, json, hex} and {name, code, hex}. Throws if the file has none (a moved file must not
 * make the tests pass vacuously).
 */
export function readVectors() {
  const text = readFileSync(path.join(ROOT, 'docs', 'protocol.md'), 'utf8');
  const valid = [];
  const invalid = [];
  const block = /```(vector|vector-error) ([^\n]*)\n([\s\S]*?)```/g;
  for (const m of text.matchAll(block)) {
    const attrs = Object.fromEntries(m[2].trim().split(/\s+/).map((kv) => kv.split('=')));
    const lines = m[3].trim().split('\n');
    if (m[1] === 'vector') {
      valid.push({ name: attrs.name, json: JSON.parse(lines[0]), hex: lines.slice(1).join('').trim() });
    } else {
      invalid.push({ name: attrs.name, code: Number(attrs.code), hex: lines.join('').trim() });
    }
  }
  if (valid.length < 10 || invalid.length < 5) {
    throw new Error(`docs/protocol.md: found ${valid.length} vectors and ${invalid.length} error vectors; expected more`);
  }
  return { valid, invalid };
}

export const DICTIONARY_PATH = 'codec/src/main/resources/dev/danmaku/codec/danmaku-v1.dict';
export const WASM_PATH = 'web/vendor/zstd-wasm/zstd.wasm';

// The danmaku browser client library: one import for embedders (docs/web.md).
export * from './protocol.js';
export { RoomCursor, Action, DiscontinuityKind } from './cursor.js';
export { createInflater } from './zstd.js';
export { DanmakuClient, ServerError, ClientError, State } from './client.js';
export { DisplayQueue } from './display.js';
export { DanmakuRenderer } from './renderer.js';

#!/usr/bin/env -S node --initial-heap-size=128
// The `vsp` command: runs the compiled CLI (npm ci / npm run build produce dist/).
// The node flags above are VSP_NODE_FLAGS (common/vsp-process.ts; a unit test keeps them equal):
// why, there. `node bin/vsp.js` without them works, with a garbage collection every second or so.
// More libuv threads than the default 4: a librdkafka call can block one for good (a
// transactional call on a coordinator that failed over), and the rest must go on.
process.env.UV_THREADPOOL_SIZE ??= '16';
await import('../dist/cli/main.js');

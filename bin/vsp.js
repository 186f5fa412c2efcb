#!/usr/bin/env node
// The `vsp` command: runs the compiled CLI (npm ci / npm run build produce dist/).
// More libuv threads than the default 4: a librdkafka call can block one for good (a
// transactional call on a coordinator that failed over), and the rest must go on.
process.env.UV_THREADPOOL_SIZE ??= '16';
await import('../dist/cli/main.js');

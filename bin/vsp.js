#!/usr/bin/env -S UV_THREADPOOL_SIZE=16 node --initial-heap-size=128
// The `vsp` command: runs the compiled CLI (npm ci / npm run build produce dist/).
// The environment and node flags above are VSP_NODE_ENV and VSP_NODE_FLAGS (common/vsp-process.ts,
// which says why; a unit test keeps them equal). They must be there, before node starts: libuv
// sizes its thread pool at its first use, which is node loading this file.
await import('../dist/cli/main.js');

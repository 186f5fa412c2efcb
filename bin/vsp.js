#!/usr/bin/env node
// The `vsp` command: runs the compiled CLI (npm ci / npm run build produce dist/).
import '../dist/cli/main.js';

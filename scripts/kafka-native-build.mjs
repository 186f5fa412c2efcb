// postinstall: builds the optional @confluentinc/kafka-javascript (the librdkafka-based Kafka
// client, `--kafka-client rdkafka`) against the system's libraries. Its own install script is
// denied in package.json's allowScripts (npm 11.16+ honours that): it downloads a prebuilt addon
// from GitHub, and failing that compiles librdkafka with dependencies it downloads too. Here
// librdkafka (bundled with the package) is built and linked dynamically against Debian's OpenSSL,
// Cyrus SASL, zstd, lz4, zlib and libcurl (CKJS_LINKING=dynamic), with the Node headers of the
// running node when it has them (no download), its `make` limited to the machine's cores. Plain
// JS: this runs before `prepare` compiles the TypeScript. Never fails the install: the client is
// optional, kafkajs is always there (`--kafka-client auto` takes it when this one is missing).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const NAME = '@confluentinc/kafka-javascript';
const DEBIAN = 'build-essential python3 pkg-config libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev';
const pkg = path.resolve('node_modules', NAME);
const say = (line) => console.log(`kafka-native: ${line}`);

if (!existsSync(path.join(pkg, 'binding.gyp'))) {
  // --omit=optional, or npm dropped it after its own install script failed (npm 10, offline).
  say(`${NAME} is not installed: --kafka-client rdkafka stays off (kafkajs is used)`);
} else if (loads()) {
  say(`${NAME} already built`);
} else {
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    say(`cannot build ${NAME} (missing ${missing.join(', ')}): --kafka-client rdkafka stays off; apt-get install ${DEBIAN}, then npm ci`);
  } else {
    build();
  }
}

/** Whether the package loads in a fresh node (its native addon built and linkable). */
function loads() {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg)})`], { stdio: 'ignore' });
  return r.status === 0;
}

/** What the build needs that this machine lacks: tools on PATH, and the libraries' headers (pkg-config). */
function missingPrerequisites() {
  const missing = ['cc', 'c++', 'make', 'python3', 'pkg-config'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
  if (missing.includes('pkg-config')) return missing;
  for (const lib of ['openssl', 'zlib', 'libzstd', 'liblz4', 'libsasl2', 'libcurl']) {
    if (spawnSync('pkg-config', ['--exists', lib], { stdio: 'ignore' }).status !== 0) missing.push(`${lib} headers`);
  }
  return missing;
}

function build() {
  const jobs = Number(process.env.JOBS) > 0 ? Number(process.env.JOBS) : os.availableParallelism();
  const env = { ...process.env, CKJS_LINKING: 'dynamic', BUILD_LIBRDKAFKA: '1' };
  // The running node's own headers (Debian's and nodejs.org's node ship them), not a download.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && existsSync(path.join(prefix, 'include/node/node.h'))) env.npm_config_nodedir = prefix;
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    say(`cannot build ${NAME}: node-gyp not found (it comes with npm): --kafka-client rdkafka stays off`);
    return;
  }
  say(`building ${NAME} (librdkafka, ${jobs} jobs; a minute or two)`);
  const started = Date.now();
  const run = (args, what) => {
    const r = spawnSync(args[0], args.slice(1), { cwd: pkg, env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`${what} failed`);
  };
  try {
    run([process.execPath, nodeGyp, 'configure'], 'node-gyp configure');
    limitLibrdkafkaJobs(jobs);
    // librdkafka first, on its own: the generated top-level Makefile orders its configure and
    // make steps only when run serially; its own make then runs on `jobs` cores.
    run(['make', '-C', 'build', 'BUILDTYPE=Release', 'librdkafka'], 'building librdkafka');
    run([process.execPath, nodeGyp, 'build', '--jobs', String(jobs)], 'node-gyp build');
    if (!loads()) throw new Error('the built addon does not load');
    say(`built in ${Math.round((Date.now() - started) / 1000)} s`);
  } catch (err) {
    say(`build failed after ${Math.round((Date.now() - started) / 1000)} s (${err.message}; see above): --kafka-client rdkafka stays off`);
  }
}

/** The package's gyp file runs librdkafka's make with `-j` and no limit: give it the machine's cores. */
function limitLibrdkafkaJobs(jobs) {
  const file = path.join(pkg, 'build/deps/librdkafka.target.mk');
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const limited = text.replace(/\bmake -j -C librdkafka\b/g, `make -j${jobs} -C librdkafka`);
  if (limited === text) say('note: could not limit the jobs of librdkafka\'s make (build/deps/librdkafka.target.mk changed)');
  else writeFileSync(file, limited);
}

/** npm's own node-gyp (npm names it to scripts), else the one in node_modules. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath && path.join(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  try {
    return createRequire(path.resolve('package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

// A single-node KRaft Kafka broker on 127.0.0.1, run from the jars in the Maven cache. Used by
// `vsp kafka start|stop`, `vsp demo` and the tests (each on its own ports and data directory).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile, open } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ensureKafkaJars, KAFKA_VERSION } from './jars.js';
import { createKafka } from './client.js';
import { kafkaConnection, type KafkaConnection } from './connection.js';
import { createRoleAcls, prepareSecureKafka, writePrivate, type Role } from './secure.js';

export interface LocalKafkaOptions {
  port: number;
  controllerPort: number;
  /** Data directory: KRaft logs, config, pid file and the broker's own log. */
  dataDir: string;
  version?: string;
  log?: (line: string) => void;
  /** Cluster membership (common/kafka/cluster.ts); a single node (id 1, its own voter) without it. */
  cluster?: ClusterMembership;
  /**
   * A SASL_SSL client listener with SCRAM users and ACLs (secure.ts): certificates and one client
   * properties file per role in `dir`; ACLs for the topics under `prefix`.
   */
  secure?: { dir: string; prefix: string };
}

/** One node of a multi-node KRaft cluster: its id, all voters, the shared cluster id, its heap. */
export interface ClusterMembership {
  nodeId: number;
  /** controller.quorum.voters, e.g. `1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097`. */
  voters: string;
  clusterId: string;
  /** Replicas of the internal topics (offsets, transaction state); min ISR is one less (≥ 1). */
  internalReplicas: number;
  heapMb: number;
}

export interface RunningKafka {
  pid: number;
  bootstrap: string;
  dataDir: string;
  /** Secure mode: the client properties file of each role. */
  roleFiles?: Record<Role, string>;
}

const PID_FILE = 'kafka.pid';
/** Secure mode: what identifies the SCRAM users the data directory was formatted with. */
const SCRAM_FILE = 'scram-users.sha256';
const READY_TIMEOUT_MS = 90_000;

function plainListeners(o: LocalKafkaOptions): string {
  return `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
`;
}

function serverProperties(o: LocalKafkaOptions, listeners: string, logDirs: string): string {
  const c = o.cluster;
  const rf = c?.internalReplicas ?? 1;
  return `process.roles=broker,controller
node.id=${c?.nodeId ?? 1}
controller.quorum.voters=${c?.voters ?? `1@127.0.0.1:${o.controllerPort}`}
${listeners}log.dirs=${logDirs}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=${rf}
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=${rf}
transaction.state.log.min.isr=${Math.max(1, rf - 1)}
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
message.max.bytes=16777216
replica.fetch.max.bytes=16777216
`;
}

const LOG4J = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.KafkaRaftServer=INFO
`;

/** Formats storage (first time) and starts the broker detached; resolves once clients can use it. */
export async function startKafka(o: LocalKafkaOptions): Promise<RunningKafka> {
  const dataDir = path.resolve(o.dataDir);
  const bootstrap = `127.0.0.1:${o.port}`;
  const existing = await readPid(dataDir);
  if (existing !== undefined && isAlive(existing)) {
    throw new Error(`a Kafka broker is already running from ${dataDir} (pid ${existing}); run 'vsp kafka stop' first`);
  }
  for (const port of [o.port, o.controllerPort]) {
    if (!(await portFree(port))) throw new Error(`port ${port} on 127.0.0.1 is already in use`);
  }
  const libs = await ensureKafkaJars(o.version ?? KAFKA_VERSION, o.log);
  const secure = o.secure && (await prepareSecureKafka(o.secure.dir, o.port, o.controllerPort));
  const logDirs = path.join(dataDir, 'kraft');
  await mkdir(logDirs, { recursive: true });
  const props = path.join(dataDir, 'server.properties');
  // Secure mode: the file holds the admin and controller passwords.
  await writePrivate(props, serverProperties(o, secure ? secure.serverProperties : plainListeners(o), logDirs));
  await writeFile(path.join(dataDir, 'log4j.properties'), LOG4J);
  const classpath = `${libs}/*`;
  const heapMb = o.cluster?.heapMb ?? 768;
  // ParallelGC: its young pauses were 6–8 ms every ~6 s at 8 × 30 fps, SerialGC's 10–14 ms every
  // 3 s (the pipeline's p99 at 8 × 30 fps: 29–30 ms against 32–37 ms).
  const jvm = ['-Xms256m', `-Xmx${heapMb}m`, '-XX:+UseParallelGC', '-XX:TieredStopAtLevel=1',
    `-Dlog4j.configuration=file:${path.join(dataDir, 'log4j.properties')}`, `-Dkafka.logs.dir=${dataDir}`, '-cp', classpath];

  // A data dir formatted before keeps its cluster id: format refuses any other, even with --ignore-formatted.
  const formatted = await formattedClusterId(logDirs);
  const scramFile = path.join(dataDir, SCRAM_FILE);
  if (secure && formatted !== undefined && (await readFile(scramFile, 'utf8').catch(() => '')).trim() !== secure.fingerprint) {
    // Its SCRAM users were made at format time, with other passwords (or none): nobody could log in.
    throw new Error(`${dataDir} was formatted without the SCRAM users of ${secure.dir}; remove it or choose another --data`);
  }
  const id = formatted ?? o.cluster?.clusterId ?? clusterId();
  await runJava([...jvm, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props, '--ignore-formatted', ...(secure?.formatArgs ?? [])], dataDir);
  if (secure && formatted === undefined) await writeFile(scramFile, `${secure.fingerprint}\n`);

  const logPath = path.join(dataDir, 'kafka.log');
  const logFile = await open(logPath, 'a');
  const child = spawn('java', [...jvm, 'kafka.Kafka', props], { detached: true, stdio: ['ignore', logFile.fd, logFile.fd] });
  await logFile.close();
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start java (is a JDK 17+ installed?)');
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  await writeFile(path.join(dataDir, PID_FILE), `${pid}\n`);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited !== undefined) {
      await rm(path.join(dataDir, PID_FILE), { force: true });
      throw new Error(`Kafka exited with code ${exited} during start; see ${logPath}: ${await tail(logPath)}`);
    }
    if (await ready(secure ? secure.admin : kafkaConnection(bootstrap, 'vsp-kafka-probe'))) {
      if (!secure) return { pid, bootstrap, dataDir };
      await createRoleAcls(createKafka(secure.admin), o.secure!.prefix).catch(async (err: Error) => {
        await stopPid(pid);
        throw new Error(`could not create the ACLs: ${err.message}`);
      });
      return { pid, bootstrap, dataDir, roleFiles: secure.files };
    }
    if (Date.now() > deadline) {
      await stopPid(pid);
      throw new Error(`Kafka did not become ready within ${READY_TIMEOUT_MS / 1000} s; see ${logPath}`);
    }
    await sleep(250);
  }
}

/** Stops the broker started from dataDir: SIGTERM, then SIGKILL after a grace period. */
export async function stopKafka(dataDir: string): Promise<boolean> {
  const dir = path.resolve(dataDir);
  const pid = await readPid(dir);
  if (pid === undefined) return false;
  const stopped = isAlive(pid) ? await stopPid(pid) : false;
  await rm(path.join(dir, PID_FILE), { force: true });
  return stopped;
}

async function stopPid(pid: number, graceMs = 20_000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return true;
}

async function ready(connection: KafkaConnection): Promise<boolean> {
  const [host, port] = connection.brokers[0]!.split(':');
  if (!(await canConnect(host!, Number(port)))) return false;
  // The port opens only after the broker is unfenced; a metadata round trip confirms it serves.
  const admin = createKafka(connection, { retries: 0 }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function runJava(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => reject(new Error(`cannot run java: ${err.message}`)));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`kafka-storage format failed (${code}): ${output.trim().split('\n').slice(-2).join(' ')}`)),
    );
  });
}

export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * An unused TCP port on 127.0.0.1 (for tests and side-by-side runs), taken below the kernel's
 * ephemeral range: a port that listen(0) hands out is an ephemeral one, and an outgoing
 * connection (a Kafka node dialling its voters) may take it before our server binds it — a
 * cluster node then dies at start with "Address already in use".
 */
export async function freePort(): Promise<number> {
  const low = await ephemeralLow();
  for (let tries = 0; low > PORT_FLOOR + 100 && tries < 200; tries++) {
    const port = PORT_FLOOR + Math.floor(Math.random() * (low - PORT_FLOOR - 1));
    if (await portFree(port)) return port;
  }
  return kernelPort();
}

/** Ports below this are left to services a user may run. */
const PORT_FLOOR = 10_000;

/** The first port of the kernel's ephemeral range (Linux's default where it cannot be read). */
async function ephemeralLow(): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
  const low = Number(range.trim().split(/\s+/)[0]);
  return Number.isInteger(low) ? low : 32768;
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A free port p with p + 1 free too (a Kafka and its controller, as `vsp demo --kafka-port` takes them). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (await portFree(p + 1)) return p;
  }
}

async function readPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path.join(dataDir, PID_FILE), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The cluster id recorded in a formatted log dir's meta.properties, if there is one. */
async function formattedClusterId(logDirs: string): Promise<string | undefined> {
  try {
    return /^cluster\.id=(\S+)$/m.exec(await readFile(path.join(logDirs, 'meta.properties'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export function clusterId(): string {
  // KRaft cluster ids are 16 random bytes in URL-safe base64 without padding (22 characters).
  // One starting with '-' would be read as an option by kafka-storage, so draw again.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function tail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

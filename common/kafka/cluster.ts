// A local KRaft cluster of N combined (broker + controller) nodes on 127.0.0.1, each its own JVM
// and data directory (<dir>/node-<id>), one cluster id, every node a voter. Used by
// `vsp kafka start --nodes 3`, the failover tests and anyone trying failover on one machine.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { clusterId, startKafka, stopKafka, type ClusterMembership, type LocalKafkaOptions, type RunningKafka } from './local.js';
import { ensureKafkaJars, KAFKA_VERSION } from './jars.js';

export interface ClusterNodePorts {
  port: number;
  controllerPort: number;
}

export interface LocalClusterOptions {
  /** Ports of each node (its length is the number of nodes). */
  nodes: ClusterNodePorts[];
  /** The cluster's directory: node-1, node-2, … and cluster.json. */
  dataDir: string;
  /** Heap of each node's JVM (default 512 MiB: three fit beside the pipeline on a small machine). */
  heapMb?: number;
  version?: string;
  log?: (line: string) => void;
}

export interface LocalCluster {
  /** All client addresses, comma-separated (what --brokers takes). */
  bootstrap: string;
  dataDir: string;
  nodes: ClusterNode[];
}

export interface ClusterNode {
  id: number;
  bootstrap: string;
  dataDir: string;
  /** The node's JVM; undefined while killed or stopped. */
  pid: number | undefined;
  options: LocalKafkaOptions;
}

const CLUSTER_FILE = 'cluster.json';

/** Ports for `--nodes N` from the first node's: node i (0-based) gets port + 2i and controllerPort + 2i. */
export function clusterPorts(nodes: number, port: number, controllerPort: number): ClusterNodePorts[] {
  return Array.from({ length: nodes }, (_, i) => ({ port: port + 2 * i, controllerPort: controllerPort + 2 * i }));
}

export const nodeDir = (dataDir: string, id: number) => path.join(dataDir, `node-${id}`);

/**
 * Starts every node at once (a node becomes ready only once a quorum of voters is up) and resolves
 * when all serve clients. A directory started before keeps its cluster id (from cluster.json).
 */
export async function startKafkaCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const dataDir = path.resolve(o.dataDir);
  const n = o.nodes.length;
  const voters = o.nodes.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
  const id = (await savedClusterId(dataDir)) ?? clusterId();
  await ensureKafkaJars(o.version ?? KAFKA_VERSION, o.log); // once, before the nodes race for it
  const nodes: ClusterNode[] = o.nodes.map((p, i) => {
    const cluster: ClusterMembership = { nodeId: i + 1, voters, clusterId: id, internalReplicas: Math.min(3, n), heapMb: o.heapMb ?? 512 };
    const options: LocalKafkaOptions = { ...p, dataDir: nodeDir(dataDir, i + 1), version: o.version, log: o.log, cluster };
    return { id: i + 1, bootstrap: `127.0.0.1:${p.port}`, dataDir: options.dataDir, pid: undefined, options };
  });
  const started = await Promise.allSettled(nodes.map((node) => startNode(node)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((node) => stopKafka(node.dataDir)));
    throw failed.reason;
  }
  await writeFile(path.join(dataDir, CLUSTER_FILE), `${JSON.stringify({ clusterId: id, nodes: o.nodes })}\n`);
  return { bootstrap: nodes.map((node) => node.bootstrap).join(','), dataDir, nodes };
}

/** Starts (or restarts) one node of the cluster on its ports and data; resolves when it serves. */
export async function startNode(node: ClusterNode): Promise<RunningKafka> {
  const running = await startKafka(node.options);
  node.pid = running.pid;
  return running;
}

/** A crash: SIGKILL, no controlled shutdown. Resolves once the JVM is gone. */
export async function killNode(node: ClusterNode): Promise<void> {
  const pid = node.pid;
  node.pid = undefined;
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Deletes a (stopped) node's Kafka data: it restarts empty, formatted with the cluster's id, and re-replicates. */
export async function wipeNode(node: ClusterNode): Promise<void> {
  if (node.pid !== undefined) throw new Error(`node ${node.id} is running (pid ${node.pid}); kill or stop it first`);
  await rm(path.join(node.dataDir, 'kraft'), { recursive: true, force: true });
}

/**
 * Stops every node started from dataDir (a cluster's node-* directories, and a single node's
 * own pid file), all at once. Returns how many were running.
 */
export async function stopKafkaCluster(dataDir: string): Promise<number> {
  const dir = path.resolve(dataDir);
  let entries: string[] = [];
  try {
    entries = (await readdir(dir)).filter((e) => /^node-\d+$/.test(e));
  } catch {
    return 0;
  }
  const stopped = await Promise.all([dir, ...entries.map((e) => path.join(dir, e))].map((d) => stopKafka(d)));
  return stopped.filter(Boolean).length;
}

async function savedClusterId(dataDir: string): Promise<string | undefined> {
  try {
    const saved = JSON.parse(await readFile(path.join(dataDir, CLUSTER_FILE), 'utf8')) as { clusterId?: unknown };
    return typeof saved.clusterId === 'string' ? saved.clusterId : undefined;
  } catch {
    return undefined;
  }
}

// Apache Kafka's jars come from Maven Central (no Docker, no tarball mirror): a throwaway pom
// lists the artifact (kafka_2.13 for the broker, kafka-tools for the benchmarks' perf tools) plus
// a logging backend, and Maven copies the runtime closure once into a per-version cache
// directory that later starts use offline.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rename, rm, writeFile, access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const run = promisify(execFile);

export const KAFKA_VERSION = '3.9.1';

export function cacheRoot(): string {
  return process.env.VSP_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'vsp');
}

/** A throwaway pom whose runtime dependencies are `artifact` and a logging backend. */
function pom(artifact: string, version: string): string {
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.vsp</groupId><artifactId>${artifact}-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dep('org.apache.kafka', artifact, version)}
    ${dep('org.slf4j', 'slf4j-reload4j', '1.7.36')}
    ${dep('ch.qos.reload4j', 'reload4j', '1.2.25')}
  </dependencies>
</project>
`;
}

/** Returns the directory holding Kafka's broker jars, fetching them with Maven on first use. */
export function ensureKafkaJars(version = KAFKA_VERSION, log: (line: string) => void = () => {}): Promise<string> {
  return ensureKafkaArtifact({ artifact: 'kafka_2.13', cacheName: 'kafka', version, log });
}

/** The same for Apache Kafka's perf tools (kafka-tools: ProducerPerformance, ConsumerPerformance). */
export function ensureKafkaToolsJars(version = KAFKA_VERSION, log: (line: string) => void = () => {}): Promise<string> {
  return ensureKafkaArtifact({ artifact: 'kafka-tools', cacheName: 'kafka-tools', version, log });
}

interface ArtifactRequest {
  /** Maven artifact id under org.apache.kafka. */
  artifact: string;
  /** Cache folder: <cacheRoot>/<cacheName>-<version>/libs. */
  cacheName: string;
  version: string;
  log: (line: string) => void;
}

/** Copies the artifact's runtime closure into the per-version cache once; returns that folder. */
async function ensureKafkaArtifact({ artifact, cacheName, version, log }: ArtifactRequest): Promise<string> {
  const dir = path.join(cacheRoot(), `${cacheName}-${version}`, 'libs');
  const marker = path.join(dir, '.complete');
  if (await exists(marker)) return dir;
  log(`fetching Apache Kafka ${version} ${artifact} jars from Maven Central (once) into ${dir}`);
  await mkdir(path.dirname(dir), { recursive: true });
  const work = await mkdtemp(path.join(path.dirname(dir), 'fetch-'));
  try {
    await writeFile(path.join(work, 'pom.xml'), pom(artifact, version));
    const out = path.join(work, 'libs');
    try {
      await run('mvn', ['-q', '-B', '-f', path.join(work, 'pom.xml'), 'dependency:copy-dependencies',
        '-DincludeScope=runtime', `-DoutputDirectory=${out}`], { maxBuffer: 16 << 20 });
    } catch (err) {
      const e = err as { code?: string; stdout?: string; stderr?: string; message: string };
      if (e.code === 'ENOENT') throw new Error(`Maven (mvn) is not installed; it is needed once to fetch the Kafka jars (${artifact})`);
      throw new Error(`mvn failed to fetch ${artifact} ${version}: ${(e.stdout || e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}`);
    }
    await writeFile(path.join(out, '.complete'), `${version}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(out, dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return dir;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

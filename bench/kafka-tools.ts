// Apache Kafka's perf tools (kafka-tools: ProducerPerformance, ConsumerPerformance) from Maven
// Central, fetched once into the same per-version cache as the broker jars (common/kafka/jars.ts).
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, KAFKA_VERSION } from '../common/kafka/jars.js';

const run = promisify(execFile);

function pom(version: string): string {
  const dep = (g: string, a: string, v: string) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.vsp</groupId><artifactId>kafka-tools-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dep('org.apache.kafka', 'kafka-tools', version)}
    ${dep('org.slf4j', 'slf4j-reload4j', '1.7.36')}
    ${dep('ch.qos.reload4j', 'reload4j', '1.2.25')}
  </dependencies>
</project>
`;
}

/** Returns the directory holding kafka-tools and its runtime jars, fetching them with Maven on first use. */
export async function ensureKafkaToolsJars(version = KAFKA_VERSION, log: (line: string) => void = () => {}): Promise<string> {
  const dir = path.join(cacheRoot(), `kafka-tools-${version}`, 'libs');
  const marker = path.join(dir, '.complete');
  if (await exists(marker)) return dir;
  log(`fetching Apache Kafka ${version} tools from Maven Central (once) into ${dir}`);
  await mkdir(path.dirname(dir), { recursive: true });
  const work = await mkdtemp(path.join(path.dirname(dir), 'fetch-'));
  try {
    await writeFile(path.join(work, 'pom.xml'), pom(version));
    const out = path.join(work, 'libs');
    try {
      await run('mvn', ['-q', '-B', '-f', path.join(work, 'pom.xml'), 'dependency:copy-dependencies',
        '-DincludeScope=runtime', `-DoutputDirectory=${out}`], { maxBuffer: 16 << 20 });
    } catch (err) {
      const e = err as { code?: string; stdout?: string; stderr?: string; message: string };
      if (e.code === 'ENOENT') throw new Error('Maven (mvn) is not installed; it is needed once to fetch the Kafka perf tools');
      throw new Error(`mvn failed to fetch kafka-tools ${version}: ${(e.stdout || e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}`);
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

// `vsp kafka start --secure DIR`: the local Kafka with TLS, SASL/SCRAM and ACLs, as a real
// deployment would run it (docs/security.md). Into DIR go a CA and the broker's certificate
// (PEM, made with the openssl CLI), one client properties file per role with its own random
// SCRAM-SHA-512 password, and nothing else: the CA's private key is deleted once it has signed the
// broker's certificate. The SCRAM users are created when the storage is formatted; the ACLs,
// least privilege per role, once the broker is up (createRoleAcls).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireTools } from '../requirements.js';
import { connectionFromProperties, parsePropertiesFile } from './client-config.js';
import type { KafkaConnection } from './connection.js';
import { topicNames } from './topics.js';
import type { AclBinding, KafkaClient } from './types.js';

const run = promisify(execFile);

/** The principals of a deployment; each gets DIR/<role>.properties. */
export const ROLES = ['admin', 'producer', 'broker', 'consumer'] as const;
export type Role = (typeof ROLES)[number];

/** Consumer groups (and, for the broker, transactional ids) a role may use start with these. */
export const GROUP_PREFIXES = { broker: 'vsp-broker', consumer: 'vsp-consumer' } as const;

const CA = 'ca.pem';
/** The broker's private key and certificate, as Kafka's PEM key store reads them (KIP-651). */
const KEYSTORE = 'kafka-server.pem';
const CERT_DAYS = 825;
const MECHANISM = 'SCRAM-SHA-512';

export interface SecureKafka {
  /** The directory of the certificates and role files (absolute). */
  dir: string;
  /** The role files: DIR/<role>.properties. */
  files: Record<Role, string>;
  /** The admin role's connection (readiness probe, ACLs). */
  admin: KafkaConnection;
  /** server.properties lines: listeners, TLS, SASL, the authorizer and its super users. */
  serverProperties: string;
  /** kafka-storage format arguments that create the SCRAM users. */
  formatArgs: string[];
  /** Identifies the SCRAM users, so that a data directory formatted with others is recognised. */
  fingerprint: string;
}

/**
 * Makes DIR ready for a secure broker on 127.0.0.1:port: certificates (kept when DIR has them),
 * passwords (kept when DIR has all four role files, as a restart needs the ones the storage was
 * formatted with) and the role files, rewritten for this port.
 */
export async function prepareSecureKafka(dir: string, port: number, controllerPort: number): Promise<SecureKafka> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true, mode: 0o700 });
  if (!existsSync(path.join(root, CA)) || !existsSync(path.join(root, KEYSTORE))) {
    await requireTools(['openssl']);
    await makeCertificates(root);
  }
  const files = Object.fromEntries(ROLES.map((r) => [r, path.join(root, `${r}.properties`)])) as Record<Role, string>;
  const passwords = (await existingPasswords(files)) ?? (Object.fromEntries(ROLES.map((r) => [r, secret()])) as Record<Role, string>);
  const bootstrap = `127.0.0.1:${port}`;
  for (const role of ROLES) await writePrivate(files[role], roleProperties(role, bootstrap, passwords[role], path.join(root, CA)));
  return {
    dir: root,
    files,
    admin: connectionFromProperties(files.admin, undefined, 'vsp-kafka-admin'),
    serverProperties: secureServerProperties(root, port, controllerPort, passwords.admin),
    formatArgs: ROLES.flatMap((r) => ['--add-scram', `${MECHANISM}=[name=${r},password=${passwords[r]}]`]),
    fingerprint: createHash('sha256').update(ROLES.map((r) => `${r}:${passwords[r]}`).join('\n')).digest('hex'),
  };
}

function secureServerProperties(dir: string, port: number, controllerPort: number, adminPassword: string): string {
  // The controller listener's principal: this node's broker half authenticates to its controller
  // half with it. SCRAM cannot serve there (its credentials live in the metadata the controller
  // serves), so it is PLAIN with a password made anew at every start, known only to this file.
  const controllerPassword = secret();
  const jaas = (module: string, user: string, password: string, extra = '') =>
    `org.apache.kafka.common.security.${module} required username="${user}" password="${password}"${extra};`;
  return `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=SASL_SSL://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:SASL_SSL,SASL_SSL:SASL_SSL
# Clients and inter-broker traffic: TLS + SCRAM-SHA-512 only; the broker speaks to itself as admin.
inter.broker.listener.name=SASL_SSL
sasl.mechanism.inter.broker.protocol=${MECHANISM}
listener.name.sasl_ssl.sasl.enabled.mechanisms=${MECHANISM}
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule', 'admin', adminPassword)}
# The controller listener (loopback): TLS + PLAIN, one static user.
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', 'controller', controllerPassword, ` user_controller="${controllerPassword}"`)}
ssl.keystore.type=PEM
ssl.keystore.location=${path.join(dir, KEYSTORE)}
ssl.truststore.type=PEM
ssl.truststore.location=${path.join(dir, CA)}
ssl.endpoint.identification.algorithm=https
ssl.client.auth=none
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# admin: the operator (topics, ACLs) and inter-broker traffic. controller: the broker registering
# with and heartbeating to the controller (ClusterAction, needed before the authorizer has loaded
# any ACL, when only super users pass). Every other principal gets only its ACLs.
super.users=User:admin;User:controller
`;
}

function roleProperties(role: Role, bootstrap: string, password: string, ca: string): string {
  return `# vsp role '${role}' (docs/security.md), written by 'vsp kafka start --secure'. Keep it private.
bootstrap.servers=${bootstrap}
security.protocol=SASL_SSL
sasl.mechanism=${MECHANISM}
sasl.username=${role}
sasl.password=${password}
ssl.ca.location=${ca}
`;
}

/**
 * The least-privilege ACLs of the roles for the topics under `prefix` (admin is a super user
 * and needs none). Describe is implied by Read and Write; it is listed for readability.
 */
export function roleAcls(prefix: string): AclBinding[] {
  const t = topicNames(prefix);
  const acls: AclBinding[] = [];
  const allow = (role: Role, resource: AclBinding['resource'], name: string, pattern: AclBinding['pattern'], ...operations: AclBinding['operation'][]) => {
    for (const operation of operations) acls.push({ principal: `User:${role}`, resource, name, pattern, operation });
  };
  const topic = (role: Role, name: string, ...operations: AclBinding['operation'][]) => allow(role, 'topic', name, 'literal', ...operations, 'describe');
  const idempotent = (role: Role) => allow(role, 'cluster', 'kafka-cluster', 'literal', 'idempotent-write');

  topic('producer', t.frames, 'write');
  idempotent('producer');

  topic('broker', t.frames, 'read');
  topic('broker', t.tracks, 'write');
  topic('broker', t.deadLetter, 'write');
  topic('broker', t.trackerState, 'read', 'write');
  // Its group, the tracker-state readers' groups (<group>.state-reader.<pid>.<time>) and the
  // --exactly-once transactional ids (<group>.<frames topic>.<partition>) all start with the group.
  allow('broker', 'group', GROUP_PREFIXES.broker, 'prefixed', 'read');
  allow('broker', 'transactional-id', GROUP_PREFIXES.broker, 'prefixed', 'write', 'describe');
  idempotent('broker');

  topic('consumer', t.tracks, 'read');
  topic('consumer', t.frames, 'read');
  topic('consumer', t.events, 'read', 'write');
  topic('consumer', t.deadLetter, 'write');
  // vsp-consumer-<uuid> (tracks), vsp-consumer-frames-<uuid> (viewer, annotated report), --group.
  allow('consumer', 'group', GROUP_PREFIXES.consumer, 'prefixed', 'read');
  return acls;
}

/** Creates the roles' ACLs for `prefix` (idempotent), as admin. */
export async function createRoleAcls(kafka: KafkaClient, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls(roleAcls(prefix));
  } finally {
    await admin.disconnect();
  }
}

/** A CA and a broker certificate for 127.0.0.1 and localhost, signed by it; the CA key is then deleted. */
async function makeCertificates(dir: string): Promise<void> {
  const work = await mkdtemp(path.join(dir, '.certs-'));
  const at = (name: string) => path.join(work, name);
  const openssl = async (args: string[]) => {
    try {
      return (await run('openssl', args, { cwd: work, maxBuffer: 1 << 20 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim().split('\n').pop()}`);
    }
  };
  // Keys go through stdout into files created 0600, never readable by others even for a moment.
  const newKey = async (file: string) => writePrivate(at(file), await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']));
  try {
    await newKey('ca-key.pem');
    await openssl(['req', '-x509', '-new', '-key', 'ca-key.pem', '-subj', '/CN=vsp local Kafka CA', '-days', String(CERT_DAYS),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', CA]);
    await newKey('server-key.pem');
    await openssl(['req', '-new', '-key', 'server-key.pem', '-subj', '/CN=localhost', '-out', 'server.csr']);
    await writeFile(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n'
      + 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n');
    await openssl(['x509', '-req', '-in', 'server.csr', '-CA', CA, '-CAkey', 'ca-key.pem', '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', String(CERT_DAYS), '-extfile', 'server.ext', '-out', 'server-cert.pem']);
    await writePrivate(at(KEYSTORE), (await readFile(at('server-key.pem'), 'utf8')) + (await readFile(at('server-cert.pem'), 'utf8')));
    await rename(at(KEYSTORE), path.join(dir, KEYSTORE));
    await rename(at(CA), path.join(dir, CA));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The passwords of DIR's role files when all are there (a restart), else undefined. */
async function existingPasswords(files: Record<Role, string>): Promise<Record<Role, string> | undefined> {
  const found: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    if (!existsSync(files[role])) return undefined;
    try {
      const password = parsePropertiesFile(files[role]).get('sasl.password');
      if (!password) return undefined;
      found[role] = password;
    } catch {
      return undefined;
    }
  }
  return found as Record<Role, string>;
}

/** Writes a file only its owner may read (mode 0600, also when it existed before). */
export async function writePrivate(file: string, text: string): Promise<void> {
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** A random password: 32 characters of [A-Za-z0-9_-], safe in properties, JAAS and --add-scram. */
function secret(): string {
  return randomBytes(24).toString('base64url');
}

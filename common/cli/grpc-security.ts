// The flags that secure gRPC between brokers and processors (docs/security.md): the processor's
// side (`vsp processor --tls-cert/--tls-key/--tls-client-ca/--auth-token-file`) and the
// broker's (`vsp broker --processor-ca/--processor-cert/--processor-key/--processor-token-file`),
// turned into the ServerSecurity / ChannelSecurity of common/grpc.ts.
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import type { ChannelSecurity, ServerSecurity } from '../grpc.js';
import { readKeyFile, readSecretFile } from '../secrets.js';

export interface ServerSecurityFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  authTokenFile?: string;
}

export function withServerSecurityOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--tls-cert <file>', 'serve TLS with this certificate chain (PEM), with --tls-key'))
    .addOption(new Option('--tls-key <file>', 'private key (PEM) of --tls-cert'))
    .addOption(new Option('--tls-client-ca <file>', 'mutual TLS: clients must present a certificate signed by this CA (PEM)'))
    .addOption(new Option('--auth-token-file <file>', 'require "authorization: Bearer TOKEN" on every call, health checks too (TOKEN: the first line of the file)'));
}

export function serverSecurityFromOptions(o: ServerSecurityFlags): ServerSecurity {
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  if (o.tlsClientCa && !o.tlsCert) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS)');
  const tls = o.tlsCert && o.tlsKey
    ? { cert: readKeyFile('--tls-cert', o.tlsCert), key: readKeyFile('--tls-key', o.tlsKey), clientCa: o.tlsClientCa === undefined ? undefined : readKeyFile('--tls-client-ca', o.tlsClientCa) }
    : undefined;
  const token = o.authTokenFile === undefined ? undefined : readSecretFile('--auth-token-file', o.authTokenFile);
  return { tls, token };
}

export interface ChannelSecurityFlags {
  processorCa?: string;
  processorCert?: string;
  processorKey?: string;
  processorTokenFile?: string;
}

export function withChannelSecurityOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--processor-ca <file>', 'grpcs:// processors: CA certificates (PEM) to verify them with (default: the system roots)'))
    .addOption(new Option('--processor-cert <file>', 'grpcs:// processors: client certificate (PEM) for mutual TLS, with --processor-key'))
    .addOption(new Option('--processor-key <file>', 'grpcs:// processors: client private key (PEM)'))
    .addOption(new Option('--processor-token-file <file>', 'grpcs:// processors: send "authorization: Bearer TOKEN" (the first line of the file)'));
}

/** The security of TLS endpoints; undefined when no flag was given. */
export function channelSecurityFromOptions(o: ChannelSecurityFlags): ChannelSecurity | undefined {
  if (Boolean(o.processorCert) !== Boolean(o.processorKey)) throw new UsageError('--processor-cert and --processor-key go together (mutual TLS)');
  if (!o.processorCa && !o.processorCert && !o.processorTokenFile) return undefined;
  const read = (flag: string, file?: string) => (file === undefined ? undefined : readKeyFile(flag, file));
  const tls = { ca: read('--processor-ca', o.processorCa), cert: read('--processor-cert', o.processorCert), key: read('--processor-key', o.processorKey) };
  const token = o.processorTokenFile === undefined ? undefined : readSecretFile('--processor-token-file', o.processorTokenFile);
  return { tls, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } };
}

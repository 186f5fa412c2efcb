// --kafka-config: the client properties file, its ${env:} and ${file:} values, and refusals.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectionFromOptions } from '../../common/kafka/connection.js';
import { oidcTokenProvider } from '../../common/kafka/oauth.js';
import { UsageError } from '../../common/errors.js';

describe('Kafka client properties (--kafka-config)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vsp-kcfg-'));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
  writeFileSync(path.join(dir, 'password.txt'), 's3cret\n');

  it('reads SASL_SSL with SCRAM, a CA, secrets from the environment and from files', () => {
    process.env.VSP_TEST_KAFKA_USER = 'broker';
    const cfg = file(
      'broker.properties',
      ['# role: broker', 'bootstrap.servers=k1:9093, k2:9093', 'security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512',
        'sasl.username=${env:VSP_TEST_KAFKA_USER}', 'sasl.password=${file:password.txt}', 'ssl.ca.location=ca.pem', 'client.id : my-broker'].join('\n'),
    );
    const c = connectionFromOptions({ kafkaConfig: cfg }, 'vsp-broker');
    assert.deepEqual(c.brokers, ['k1:9093', 'k2:9093']);
    assert.equal(c.clientId, 'my-broker');
    assert.deepEqual(c.sasl, { mechanism: 'scram-sha-512', username: 'broker', password: 's3cret' });
    assert.match(c.tls!.ca!, /BEGIN CERTIFICATE/);
    assert.equal(c.tls!.verifyHostname, true);
    assert.deepEqual(connectionFromOptions({ kafkaConfig: cfg, brokers: 'other:1' }, 'x').brokers, ['other:1'], '--brokers wins');
    delete process.env.VSP_TEST_KAFKA_USER;
  });

  it('without a file: --brokers or the default, no security', () => {
    assert.deepEqual(connectionFromOptions({}, 'id'), { brokers: ['127.0.0.1:9092'], clientId: 'id' });
    assert.deepEqual(connectionFromOptions({ brokers: 'a:1,b:2' }, 'id').brokers, ['a:1', 'b:2']);
  });

  it('refuses unknown properties and bad values, naming them', () => {
    const refuses = (text: string, re: RegExp) =>
      assert.throws(() => connectionFromOptions({ kafkaConfig: file(`bad-${Math.random()}.properties`, text) }, 'x'), (err: unknown) => err instanceof UsageError && re.test(err.message));
    refuses('bootstrap.servers=a:1\nsasl.kerberos.service.name=kafka', /:2: unknown or unsupported property 'sasl\.kerberos\.service\.name'/);
    refuses('bootstrap.servers=a:1\nsecurity.protocol=TLS', /security\.protocol: expected PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL, got 'TLS'/);
    refuses('bootstrap.servers=a:1\nsecurity.protocol=SASL_SSL\nsasl.mechanism=GSSAPI', /sasl\.mechanism: expected PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, got 'GSSAPI'/);
    refuses('bootstrap.servers=a:1\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=u', /sasl\.username and sasl\.password are required/);
    refuses('bootstrap.servers=a:1\nsasl.password=${env:VSP_NO_SUCH_VARIABLE}', /sasl\.password: environment variable VSP_NO_SUCH_VARIABLE is not set/);
    refuses('bootstrap.servers=a:1\nsecurity.protocol=SSL\nssl.ca.location=missing.pem', /ssl\.ca\.location: cannot read missing\.pem: ENOENT/);
    refuses('bootstrap.servers=a:1\nssl.ca.location=ca.pem', /ssl\.ca\.location needs security\.protocol SSL or SASL_SSL, not PLAINTEXT/);
    refuses('security.protocol=SSL', /bootstrap\.servers is not set/);
    refuses('just a line', /:1: expected key=value/);
    assert.throws(() => connectionFromOptions({ kafkaConfig: path.join(dir, 'none.properties') }, 'x'), /--kafka-config: cannot read .*none\.properties: ENOENT/);
  });

  it('OAUTHBEARER: fetches a client-credentials token once and reuses it until a minute before expiry', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push(`${req.headers.authorization} ${body}`);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: `token-${seen.length}`, expires_in: 120 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    let now = 0;
    const token = oidcTokenProvider({ tokenEndpoint: url, clientId: 'vsp', clientSecret: 'pw', scope: 'kafka' }, () => now);
    assert.equal(await token(), 'token-1');
    now = 59_000;
    assert.equal(await token(), 'token-1');
    now = 61_000;
    assert.equal(await token(), 'token-2');
    assert.deepEqual(seen, [`Basic ${Buffer.from('vsp:pw').toString('base64')} grant_type=client_credentials&scope=kafka`, `Basic ${Buffer.from('vsp:pw').toString('base64')} grant_type=client_credentials&scope=kafka`]);
    server.close();
    const cfg = file('oauth.properties', `bootstrap.servers=a:1\nsecurity.protocol=SASL_SSL\nsasl.mechanism=OAUTHBEARER\nsasl.oauthbearer.method=oidc\nsasl.oauthbearer.client.id=vsp\nsasl.oauthbearer.client.secret=pw\nsasl.oauthbearer.token.endpoint.url=${url}`);
    assert.equal(connectionFromOptions({ kafkaConfig: cfg }, 'x').sasl?.mechanism, 'oauthbearer');
  });
});

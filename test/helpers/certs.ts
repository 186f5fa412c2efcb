// Test certificates made with the openssl CLI in a temporary directory: one CA, and server and
// client certificates it signs (EC P-256: quick to make). Nothing here is fit for production.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestCa extends CertFiles {
  /** A certificate for `name`, signed by this CA: a server one (SAN 127.0.0.1 and localhost) or a client one. */
  issue(name: string, use: 'server' | 'client'): CertFiles;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A new CA named `name` whose files live in `dir`. */
export function createTestCa(dir: string, name = 'vsp-test-ca'): TestCa {
  const ca = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  openssl(['req', '-x509', ...KEY, '-keyout', ca.key, '-out', ca.cert, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return {
    ...ca,
    issue(leaf, use) {
      const files = { cert: path.join(dir, `${leaf}.pem`), key: path.join(dir, `${leaf}.key`) };
      const csr = path.join(dir, `${leaf}.csr`);
      const ext = path.join(dir, `${leaf}.ext`);
      writeFileSync(ext, use === 'server'
        ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
        : 'extendedKeyUsage=clientAuth\n');
      openssl(['req', ...KEY, '-keyout', files.key, '-out', csr, '-subj', `/CN=${leaf}`]);
      openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', files.cert, '-days', '2', '-extfile', ext]);
      return files;
    },
  };
}

/**
 * Makes the per-run TLS material of the test servers with the `openssl` CLI: a CA, a server certificate signed by
 * it (SAN 127.0.0.1 and localhost), and a second, unrelated CA for "wrong CA" tests. EC P-256 keys: generating them
 * takes milliseconds, unlike RSA or DH parameters (NOTES.md).
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of the PEM files made by {@link makeCertificates}. */
export interface TestCertificates {
  readonly caFile: string;
  readonly wrongCaFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(error)}`, { cause: error });
  }
}

async function makeCa(dir: string, name: string, commonName: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-sha256',
    '-days',
    '7',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    cert,
  ]);
  return { cert, key };
}

/**
 * Writes a CA, a server key and certificate, and a wrong CA into `dir`.
 *
 * @example
 * ```ts
 * const certs = await makeCertificates('/tmp/mailtest-x');
 * tls.connect({ port, host: '127.0.0.1', ca: readFileSync(certs.caFile) });
 * ```
 */
export async function makeCertificates(dir: string): Promise<TestCertificates> {
  const [ca, wrong] = await Promise.all([
    makeCa(dir, 'ca', 'mail-autopilot test CA'),
    makeCa(dir, 'wrong-ca', 'mail-autopilot unrelated CA'),
  ]);
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  await writeFile(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  await openssl(['req', '-new', '-key', keyFile, '-subj', '/CN=localhost', '-out', csr]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${Date.now().toString(16)}`,
    '-days',
    '7',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    certFile,
  ]);
  return { caFile: ca.cert, wrongCaFile: wrong.cert, certFile, keyFile };
}

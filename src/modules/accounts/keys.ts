import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type CryptoKey, type JWK } from 'jose';

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** the public key, for verification */
  publicKey: CryptoKey;
}

async function fromPem(pem: string): Promise<SigningKeys> {
  const privateKey = await importPKCS8(pem, 'EdDSA', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  // The kid is derived from the public key, so it is stable across restarts and processes.
  const kid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 16);
  const { importJWK } = await import('jose');
  const publicKey = (await importJWK({ ...publicJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey;
  return { kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export async function generateSigningKeys(): Promise<{ keys: SigningKeys; pem: string }> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pem = await exportPKCS8(privateKey);
  return { keys: await fromPem(pem), pem };
}

/**
 * The access-token signing key. Production must provide JWT_PRIVATE_KEY (the config refuses to
 * start otherwise); development generates one once and keeps it in the data directory so tokens
 * survive restarts.
 */
export async function loadSigningKeys(opts: {
  pem: string | undefined;
  dataDir: string;
  log: (msg: string) => void;
}): Promise<SigningKeys> {
  if (opts.pem) return fromPem(opts.pem.replaceAll('\\n', '\n'));
  const file = path.resolve(opts.dataDir, 'jwt-ed25519.pem');
  try {
    const pem = await readFile(file, 'utf8');
    opts.log(`using the development signing key in ${file} (set JWT_PRIVATE_KEY in production)`);
    return fromPem(pem);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { keys, pem } = await generateSigningKeys();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, pem, { mode: 0o600 });
  opts.log(`generated a development signing key and saved it to ${file} (set JWT_PRIVATE_KEY in production)`);
  return keys;
}

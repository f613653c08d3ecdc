// Report signatures: every PDF and JSON report is signed with this installation's Ed25519 key, so
// a report whose embedded case, printed digest and evidence manifest were all edited consistently
// (which a .sha256 file beside it cannot catch: the forger rewrites that too) no longer verifies.
//
// The signature covers every byte of the report file except its own 128 hex digits: the report is
// written with a placeholder of zeros, signed, and the placeholder overwritten in place (the same
// idea as a PDF signature's ByteRange, without needing a PKI). The public key travels inside the
// signed bytes, and its fingerprint is printed in the report; whether that key is the examiner's is
// established out of band (`genprint key export` on the examiner's machine, `verify-report --key`
// elsewhere). node:crypto provides Ed25519, so no library is needed.
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Text that marks the signature in a report file; followed by 128 hex digits. */
export const SIGNATURE_MARK = 'genprint-signature:ed25519:';
/** Text that marks the signer's public key (base64 of the SPKI DER) in a report file. */
export const KEY_MARK = 'genprint-signing-key:ed25519:';
const SIG_HEX = 128;
export const SIGNATURE_PLACEHOLDER = SIGNATURE_MARK + '0'.repeat(SIG_HEX);

export const PRIVATE_KEY_FILE = 'report-signing-key.pem';
export const PUBLIC_KEY_FILE = 'report-signing-key.pub.pem';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SHA-256 of the public key's SPKI DER, hex. */
  fingerprint: string;
  /** The public key as PEM (what `genprint key export` writes). */
  publicKeyPem: string;
  /** The public key as it appears in a report: KEY_MARK + base64 SPKI DER. */
  keyToken: string;
}

/**
 * Where this installation keeps its signing key: $GENPRINT_CONFIG_DIR, else
 * $XDG_CONFIG_HOME/genprint, else ~/.config/genprint. The desktop app passes its own userData folder.
 */
export function signingKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GENPRINT_CONFIG_DIR) return path.resolve(env.GENPRINT_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(os.homedir(), '.config');
  return path.join(base, 'genprint');
}

export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** A fingerprint as printed for people: 16 groups of four hex digits. */
export function formatFingerprint(hex: string): string {
  return hex.match(/.{1,4}/g)!.join(' ');
}

function fromPrivate(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKey,
    publicKey,
    fingerprint: keyFingerprint(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyToken: KEY_MARK + der.toString('base64'),
  };
}

/**
 * This installation's signing key, created on first use (private key readable by its owner only).
 * Two processes creating it at once agree on one key: the file is published with link(), which
 * fails when the other process was first, and that key is then read.
 */
export function installationSigningKey(dir = signingKeyDir()): SigningKey {
  const file = path.join(dir, PRIVATE_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const key = fromPrivate(createPrivateKey(readFileSync(file)));
  if (key.privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 key`);
  const pub = path.join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(pub) || readFileSync(pub, 'utf8') !== key.publicKeyPem) {
    writeFileSync(pub, key.publicKeyPem);
    chmodSync(pub, 0o644);
  }
  return key;
}

/** Reads a public key given as PEM (SPKI) text; throws when it is not an Ed25519 key. */
export function parsePublicKey(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 public key (${key.asymmetricKeyType})`);
  return key;
}

function occurrences(bytes: Buffer, mark: string): number[] {
  const out: number[] = [];
  const needle = Buffer.from(mark, 'latin1');
  for (let i = bytes.indexOf(needle); i >= 0; i = bytes.indexOf(needle, i + 1)) out.push(i);
  return out;
}

export class SigningError extends Error {
  override name = 'SigningError';
}

/**
 * Signs a report rendered with SIGNATURE_PLACEHOLDER and the key's token in it: returns the bytes
 * with the placeholder replaced by the signature over all other bytes.
 */
export function signReport(bytes: Buffer, key: SigningKey): Buffer {
  const marks = occurrences(bytes, SIGNATURE_MARK);
  // A case whose text repeats the mark (notes, file names) would make the signature ambiguous.
  if (marks.length !== 1) throw new SigningError(`cannot sign: the report holds the signature mark ${marks.length} times (expected once)`);
  if (occurrences(bytes, KEY_MARK).length !== 1) throw new SigningError('cannot sign: the report must hold its signing key exactly once');
  const at = marks[0]! + SIGNATURE_MARK.length;
  if (bytes.subarray(at, at + SIG_HEX).toString('latin1') !== '0'.repeat(SIG_HEX)) throw new SigningError('cannot sign: no signature placeholder');
  const signature = sign(null, bytes, key.privateKey).toString('hex');
  const out = Buffer.from(bytes);
  out.write(signature, at, 'latin1');
  return out;
}

export type SignatureStatus = 'valid' | 'invalid' | 'unsigned';

export interface SignatureCheck {
  status: SignatureStatus;
  /** Fingerprint of the public key the report names (present whenever it names one). */
  fingerprint?: string;
  publicKey?: KeyObject;
  /** Why the signature is invalid or absent, in words. */
  reason?: string;
}

/** Checks the signature a report file carries against the public key it names. */
export function checkReportSignature(bytes: Buffer): SignatureCheck {
  const sigs = occurrences(bytes, SIGNATURE_MARK);
  const keys = occurrences(bytes, KEY_MARK);
  if (sigs.length === 0 && keys.length === 0)
    return { status: 'unsigned', reason: 'the report carries no signature (written before reports were signed, or by another tool)' };
  if (sigs.length !== 1 || keys.length !== 1)
    return { status: 'invalid', reason: `the report holds ${sigs.length} signature and ${keys.length} key marks (a signed report holds one of each)` };
  const keyStart = keys[0]! + KEY_MARK.length;
  const b64 = /^[A-Za-z0-9+/]+=*/.exec(bytes.subarray(keyStart, keyStart + 200).toString('latin1'))?.[0] ?? '';
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
    if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('not Ed25519');
  } catch {
    return { status: 'invalid', reason: 'the public key in the report cannot be read' };
  }
  const fingerprint = keyFingerprint(publicKey);
  const at = sigs[0]! + SIGNATURE_MARK.length;
  const hex = bytes.subarray(at, at + SIG_HEX).toString('latin1');
  if (!/^[0-9a-f]{128}$/.test(hex)) return { status: 'invalid', fingerprint, publicKey, reason: 'the signature is malformed' };
  if (hex === '0'.repeat(SIG_HEX)) return { status: 'invalid', fingerprint, publicKey, reason: 'the report was never signed (placeholder left)' };
  const blanked = Buffer.from(bytes);
  blanked.write('0'.repeat(SIG_HEX), at, 'latin1');
  const ok = verify(null, blanked, publicKey, Buffer.from(hex, 'hex'));
  return ok
    ? { status: 'valid', fingerprint, publicKey }
    : { status: 'invalid', fingerprint, publicKey, reason: 'the signature does not match the report’s bytes: the file was changed after it was signed' };
}

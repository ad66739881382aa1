// What each kept secret must look like when it is read back: a file that is not what coreform wrote
// (a garbage token, a certificate where a key belongs, a truncated PEM) is refused by name, never
// used as-is and never replaced behind the user's back. Each check returns why, or undefined.
import { firstLine } from "../errors";
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import type { CertKey } from "./pki";

/** A PEM private key of the kinds coreform makes or accepts: ECDSA (P-256 and up) or RSA (≥ 2048 bits). */
export function privateKeyProblem(text: string): string | undefined {
  if (!/-----BEGIN (?:EC |RSA )?PRIVATE KEY-----/.test(text)) return "not a PEM private key";
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (e) {
    return `not a readable private key (${firstLine(e)})`;
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "ec" && ["prime256v1", "secp384r1", "secp521r1"].includes(details?.namedCurve ?? "")) return undefined;
  if (key.asymmetricKeyType === "rsa" && (details?.modulusLength ?? 0) >= 2048) return undefined;
  return `a ${key.asymmetricKeyType} key${details?.namedCurve ? ` on ${details.namedCurve}` : ""}: expected ECDSA P-256 (or RSA ≥ 2048 bits)`;
}

/** A CA: a certificate that is a CA, not expired, and the key that belongs to it. */
export function caProblem(ca: CertKey): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(ca.cert);
  } catch (e) {
    return `the .crt is not a PEM certificate (${firstLine(e)})`;
  }
  if (!cert.ca) return "the .crt is not a CA certificate";
  if (new Date(cert.validTo).getTime() <= Date.now()) return `the CA expired on ${cert.validTo}`;
  const keyProblem = privateKeyProblem(ca.key);
  if (keyProblem) return `the .key is ${keyProblem}`;
  if (!cert.checkPrivateKey(createPrivateKey(ca.key))) return "the .key is not the certificate's key";
  return undefined;
}

/**
 * The k3s join token: one line of printable ASCII without spaces, at least 16 characters. coreform makes
 * 64 hex characters; k3s also takes its own `K10<hash>::<user>:<password>` form (docs.k3s.io/cli/token).
 */
export function tokenProblem(text: string): string | undefined {
  const token = text.trim();
  if (!/^[\x21-\x7e]+$/.test(token)) return "not a k3s token (one line of printable characters without spaces)";
  if (token.length < 16) return `a k3s token of ${token.length} characters: too short to be one (coreform makes 64)`;
  return undefined;
}

/** flannel's IPsec key as k3s makes it: 48 random bytes as 96 hex characters (deps.go, genEncryptedNetworkInfo). */
export function pskProblem(text: string): string | undefined {
  return /^[0-9a-f]{96}$/i.test(text.trim()) ? undefined : "not an IPsec key (96 hex characters, as k3s makes it)";
}

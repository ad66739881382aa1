// Well-formed OpenSSH public keys for tests, made from a seed: the spec checks every key as strictly
// as Azure does (src/spec/ssh-key.ts), so a key in a test must be whole. Nobody holds their private halves.
import { createECDH, createHash } from "node:crypto";

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const field = (b: Buffer | string) => {
  const data = typeof b === "string" ? Buffer.from(b, "latin1") : b;
  return Buffer.concat([u32(data.length), data]);
};
/** `length` bytes that depend on `seed` only. */
const bytes = (seed: string, length: number) => {
  const out: Buffer[] = [];
  for (let i = 0; Buffer.concat(out).length < length; i++) out.push(createHash("sha256").update(`${seed}/${i}`).digest());
  return Buffer.concat(out).subarray(0, length);
};

/** A point on P-256 (uncompressed) from a private scalar made of `seed`. */
const ecdhPoint = (seed: string) => {
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(bytes(seed, 32));
  return ecdh.getPublicKey();
};

/** A key line of `type`; RSA of `bits` bits (its modulus's top bit set). */
export function sshKey(type: "ssh-ed25519" | "ssh-rsa" | "ecdsa-sha2-nistp256", seed: string | number = 0, comment = "test@host", bits = 2048): string {
  const s = String(seed);
  const blob =
    type === "ssh-ed25519"
      ? Buffer.concat([field(type), field(bytes(s, 32))])
      : type === "ssh-rsa"
        ? Buffer.concat([field(type), field(Buffer.from([1, 0, 1])), field(Buffer.concat([Buffer.from([0, 0x80 | bytes(s, 1)[0]!]), bytes(`${s}+`, bits / 8 - 1)]))])
        : Buffer.concat([field(type), field("nistp256"), field(ecdhPoint(s))]);
  return `${type} ${blob.toString("base64")}${comment ? ` ${comment}` : ""}`;
}

/** The key smallSpec() gives the core user. */
export const TEST_KEY = sshKey("ssh-ed25519", "test");

// An OpenSSH public key line (`ssh-ed25519 AAAA… comment`), read as strictly as azurerm reads the keys
// it hands Azure (hashicorp/terraform-provider-azurerm v4.55.0, internal/services/compute/validate/
// ssh_key.go: the second field standard base64 with its padding, then golang.org/x/crypto/ssh
// ParsePublicKey: the key's own type first, each field length-prefixed, nothing after the last). A key
// that fails here is one sshd skips, and one that fails every `terraform plan` of an Azure environment.
import { createPublicKey } from "node:crypto";

/** What a key line holds: its type and, for RSA, its modulus's bits. */
interface SshKey {
  readonly type: string;
  readonly bits?: number;
}

/** The key types OpenSSH writes public keys of, and how each one's fields are laid out after its type. */
const LAYOUTS: Readonly<Record<string, (r: Reader) => { bits?: number } | string>> = {
  "ssh-rsa": (r) => {
    const e = r.mpint();
    const n = r.mpint();
    if (e === undefined || n === undefined) return "its RSA key is cut short";
    return { bits: bitLength(n) };
  },
  "ssh-dss": (r) => ([r.mpint(), r.mpint(), r.mpint(), r.mpint()].includes(undefined) ? "its DSA key is cut short" : {}),
  "ssh-ed25519": (r) => (r.string()?.length === 32 ? {} : "its Ed25519 key is not 32 bytes"),
  "sk-ssh-ed25519@openssh.com": (r) => (r.string()?.length === 32 && r.string() !== undefined ? {} : "its Ed25519 security key is cut short"),
  "ecdsa-sha2-nistp256": (r) => ecdsa(r, "nistp256"),
  "ecdsa-sha2-nistp384": (r) => ecdsa(r, "nistp384"),
  "ecdsa-sha2-nistp521": (r) => ecdsa(r, "nistp521"),
  "sk-ecdsa-sha2-nistp256@openssh.com": (r) => {
    const point = ecdsa(r, "nistp256");
    return typeof point === "string" || r.string() !== undefined ? point : "its ECDSA security key is cut short";
  },
};

/** Each curve's name in JWK, and its coordinates' length. */
const CURVES: Readonly<Record<string, { readonly jwk: string; readonly size: number }>> = {
  nistp256: { jwk: "P-256", size: 32 },
  nistp384: { jwk: "P-384", size: 48 },
  nistp521: { jwk: "P-521", size: 66 },
};

/** An uncompressed point (0x04, then both coordinates) on the named curve, as Go's ssh package takes it. */
function ecdsa(r: Reader, curve: string): { bits?: number } | string {
  if (r.string()?.toString("latin1") !== curve) return `its curve is not ${curve}`;
  const { jwk, size } = CURVES[curve]!;
  const point = r.string();
  if (point?.length !== 1 + 2 * size || point[0] !== 4) return `its ${curve} point is not ${1 + 2 * size} bytes starting with 0x04`;
  const [x, y] = [point.subarray(1, 1 + size), point.subarray(1 + size)].map((c) => c.toString("base64url"));
  try {
    createPublicKey({ key: { kty: "EC", crv: jwk, x, y }, format: "jwk" });
    return {};
  } catch {
    return `its point is not on the ${curve} curve`;
  }
}

const bitLength = (n: Buffer): number => {
  const first = n.findIndex((b) => b !== 0);
  return first < 0 ? 0 : (n.length - first - 1) * 8 + (32 - Math.clz32(n[first]!));
};

/** The SSH wire format (RFC 4251, section 5): uint32 big-endian lengths before each string and mpint. */
class Reader {
  private at = 0;
  constructor(private readonly data: Buffer) {}
  string(): Buffer | undefined {
    if (this.at + 4 > this.data.length) return undefined;
    const length = this.data.readUInt32BE(this.at);
    if (this.at + 4 + length > this.data.length) return undefined;
    const value = this.data.subarray(this.at + 4, this.at + 4 + length);
    this.at += 4 + length;
    return value;
  }
  mpint(): Buffer | undefined {
    return this.string();
  }
  get done(): boolean {
    return this.at === this.data.length;
  }
}

/** The key a line holds, or why it holds none (a message naming the fix). */
export function parseSshKey(line: string): SshKey | string {
  const [type, body] = line.trim().split(/\s+/);
  const layout = type && Object.hasOwn(LAYOUTS, type) ? LAYOUTS[type] : undefined;
  if (!type || !body || !layout) return "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment), of a type OpenSSH writes";
  // Standard base64 with its padding, as ssh-keygen writes it (Go's base64.StdEncoding, which azurerm uses).
  if (body.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return "is cut or mistyped: its key is not base64 with its padding (copy the whole line of your .pub file)";
  const reader = new Reader(Buffer.from(body, "base64"));
  const inner = reader.string()?.toString("latin1");
  if (inner !== type) return `is cut or mistyped: its key says ${inner === undefined ? "nothing" : `it is ${inner}`}, not ${type} (copy the whole line of your .pub file)`;
  const fields = layout(reader);
  if (typeof fields === "string") return `is cut or mistyped: ${fields} (copy the whole line of your .pub file)`;
  if (!reader.done) return "is cut or mistyped: its key has bytes after its last field (copy the whole line of your .pub file)";
  return { type, ...fields };
}

/**
 * The key types Azure takes for a VM's admin user: ssh-rsa of 2048 bits or more, or ssh-ed25519
 * (validate/ssh_key.go@v4.55.0: any other type, or a smaller RSA key, fails the plan).
 */
export function azureTakes(key: SshKey): boolean {
  return key.type === "ssh-ed25519" || (key.type === "ssh-rsa" && (key.bits ?? 0) >= 2048);
}

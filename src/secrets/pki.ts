// Certificate authority and certificates for one environment: ECDSA P-256 keys (small user data),
// created with @peculiar/x509 on Node's WebCrypto. Checking an existing certificate uses Node's own
// X509Certificate, which is synchronous (the CDKTF app reads secrets synchronously).
import { randomBytes, webcrypto, X509Certificate, createPrivateKey } from "node:crypto";
import type * as X509 from "@peculiar/x509";

/**
 * @peculiar/x509 loads ~200 modules (~0.2 s): only creating a certificate needs it, so a render whose
 * secrets exist, and the CDKTF app, never load it (bench/: `npm run bench`).
 */
let loaded: typeof X509 | undefined;
async function x509Lib(): Promise<typeof X509> {
  if (!loaded) {
    await import("reflect-metadata"); // @peculiar/x509 resolves its services through tsyringe, which needs it
    loaded = await import("@peculiar/x509");
    loaded.cryptoProvider.set(webcrypto as unknown as Parameters<typeof loaded.cryptoProvider.set>[0]);
  }
  return loaded;
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long certificates last: a CA ten years, everything it signs five (README, "Certificates"). */
export const CA_DAYS = 3650;
export const LEAF_DAYS = 1825;
/** A certificate this close to its end is issued again. */
const RENEW_DAYS = 30;

/** A certificate and its private key, both PEM. */
export interface CertKey {
  readonly cert: string;
  readonly key: string;
}

/** What a leaf certificate is for and which names it carries. */
export interface LeafRequest {
  readonly commonName: string;
  /** Subject O, e.g. system:masters for a Kubernetes admin. */
  readonly organization?: string;
  readonly usage: "server-and-client" | "client";
  readonly ips?: readonly string[];
  readonly dnsNames?: readonly string[];
}

// A positive serial of 16 random bytes, as RFC 5280 asks.
const serial = () => {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
};

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
}

async function pemKey(x509: typeof X509, key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return `${x509.PemConverter.encode(der, "PRIVATE KEY")}\n`;
}

/**
 * How far before its making a certificate becomes valid. A node checks certificates with its own clock,
 * which at first boot may lag the operator's machine that made them: a VM's clock comes from its host's
 * real-time clock until timesyncd has synchronized it, and a certificate that is not yet valid is
 * refused outright (etcd's peers and clients, k3s). kubeadm backdates by 5 minutes between machines
 * that all run NTP (kubernetes/kubernetes cmd/kubeadm/app/constants/constants.go, CertificateBackdate);
 * coreform's are made on a laptop or CI machine, so an hour: it also covers a clock off by a
 * daylight-saving hour, and takes nothing from the end of the validity.
 */
export const BACKDATE_MS = 60 * 60 * 1000;

function validity(days: number) {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

export async function createCa(commonName: string): Promise<CertKey> {
  const x509 = await x509Lib();
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    ...validity(CA_DAYS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem") + "\n", key: await pemKey(x509, keys.privateKey) };
}

/** A private key on its own (PEM, PKCS #8), e.g. the one that signs Kubernetes service-account tokens. */
export async function createKey(): Promise<string> {
  return pemKey(await x509Lib(), (await newKeys()).privateKey);
}

const subjectOf = (req: LeafRequest) => [`CN=${req.commonName}`, ...(req.organization ? [`O=${req.organization}`] : [])];

export async function issueLeaf(ca: CertKey, req: LeafRequest, days = LEAF_DAYS): Promise<CertKey> {
  const x509 = await x509Lib();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await webcrypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(ca.key),
    ALG,
    false,
    ["sign"],
  );
  const keys = await newKeys();
  const usages = req.usage === "client" ? [x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const names = [
    ...(req.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(req.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subjectOf(req).join(", "),
    issuer: caCert.subject,
    ...validity(days),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey as CryptoKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension(usages, false),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return { cert: cert.toString("pem") + "\n", key: await pemKey(x509, keys.privateKey) };
}

/** The SANs of a request as Node prints them (`DNS:a, IP Address:1.2.3.4`), in a stable order. */
const sanSet = (dns: readonly string[], ips: readonly string[]) =>
  [...dns.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP Address:${ip}`)].sort().join(", ");

/** The IP addresses a certificate names (its subject alternative names); none when it is unreadable. */
export function certificateIps(cert: string): string[] {
  try {
    const names = new X509Certificate(cert).subjectAltName ?? "";
    return names.split(", ").flatMap((n) => (n.startsWith("IP Address:") ? [n.slice("IP Address:".length)] : []));
  } catch {
    return [];
  }
}

/**
 * Why an existing certificate no longer fits — not signed by this CA, not its key, expiring, another
 * subject, other names — or undefined when it does. The reason goes into what the user reads.
 */
export function leafMisfit(ca: CertKey, leaf: CertKey, req: LeafRequest): string | undefined {
  try {
    const caCert = new X509Certificate(ca.cert);
    const cert = new X509Certificate(leaf.cert);
    if (!cert.verify(caCert.publicKey)) return "signed by another CA";
    if (!cert.checkPrivateKey(createPrivateKey(leaf.key))) return "its key is not the certificate's";
    if (new Date(cert.validTo).getTime() < Date.now() + RENEW_DAYS * DAY_MS) return `expires ${cert.validTo}, within ${RENEW_DAYS} days`;
    const subject = subjectOf(req).join("\n");
    if (cert.subject !== subject) return `its subject is ${cert.subject.replace(/\n/g, ", ")}, the plan wants ${subject.replace(/\n/g, ", ")}`;
    const have = (cert.subjectAltName ?? "").split(", ").filter(Boolean).sort().join(", ");
    const want = sanSet(req.dnsNames ?? [], req.ips ?? []);
    return have === want ? undefined : `its names are ${have || "none"}, the plan wants ${want || "none"}`;
  } catch (e) {
    return `unreadable (${(e as Error).message})`;
  }
}

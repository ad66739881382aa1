// When an environment's certificates expire. Every one of them is made on the first render, so they
// all end within a minute of each other (leaves after 1825 days, CAs after 3650, pki.ts); nothing on a
// running node renews itself, so the operator hears of it from 90 days before, from `status`,
// `validate` and `render`. Read from the files in .coreform/<env>/, never created or printed.
import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** From this many days before a certificate ends, coreform warns. */
const EXPIRY_WARNING_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface CertificateExpiry {
  /** Its file below the environment's secrets directory, without `.crt` (`members/control-01`). */
  readonly id: string;
  readonly notAfter: Date;
  readonly ca: boolean;
}

/** Every certificate of the environment, the one that ends first first; none when the directory does not exist. */
export function certificateExpiries(dir: string): CertificateExpiry[] {
  if (!existsSync(dir)) return [];
  const found: CertificateExpiry[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith(".crt")) continue;
    const file = join(e.parentPath, e.name);
    try {
      const cert = new X509Certificate(readFileSync(file));
      found.push({ id: relative(dir, file).slice(0, -".crt".length), notAfter: new Date(cert.validTo), ca: cert.ca });
    } catch {
      // not a certificate: reading the secrets reports it
    }
  }
  return found.sort(firstToEnd);
}

/** Orders certificates by their end, the first to end first. */
export const firstToEnd = (a: CertificateExpiry, b: CertificateExpiry) => a.notAfter.getTime() - b.notAfter.getTime() || a.id.localeCompare(b.id);

export const daysLeft = (c: CertificateExpiry, now: Date) => Math.floor((c.notAfter.getTime() - now.getTime()) / DAY_MS);
const day = (d: Date) => d.toISOString().slice(0, 10);

/** "members/control-01 ends 2031-12-06 (in 1825 days)", or "… ended 2031-12-06 (3 days ago)". */
function describeExpiry(c: CertificateExpiry, now: Date): string {
  const days = daysLeft(c, now);
  return days < 0 ? `${c.id} ended ${day(c.notAfter)} (${-days} days ago)` : `${c.id} ends ${day(c.notAfter)} (in ${days} days)`;
}

/**
 * One warning for the environment when a certificate ends within EXPIRY_WARNING_DAYS: the first to
 * end, how many more do, and what to do (README, "Certificates").
 */
export function expiryWarning(expiries: readonly CertificateExpiry[], now: Date = new Date()): string | undefined {
  const soon = expiries.filter((c) => daysLeft(c, now) < EXPIRY_WARNING_DAYS);
  const first = soon[0];
  if (!first) return undefined;
  const more = soon.length > 1 ? ` and ${soon.length - 1} more within ${EXPIRY_WARNING_DAYS} days` : "";
  const fix = soon.some((c) => c.ca)
    ? "a CA cannot be renewed under running nodes: plan new secrets and new nodes (README, Certificates)"
    : "render renews them from 30 days before; they reach a running node only when it is replaced, one node at a time (README, Certificates)";
  return `certificate ${describeExpiry(first, now)}${more}: ${fix}`;
}

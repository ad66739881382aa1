// IPv4 arithmetic for `network.cidr`: the spec's only address family.

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number;
  readonly prefix: number;
  /** Number of addresses in the block. */
  readonly size: number;
}

export function parseIp(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Parses a CIDR the schema has already checked (`a.b.c.d/n`). */
export function parseCidr(cidr: string): Cidr & { readonly address: number } {
  const [ip, bits] = cidr.split("/");
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  const address = parseIp(ip);
  return { address, base: address - (address % size), prefix, size };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

/**
 * Planned node addresses start at this offset in the block. The first addresses are taken on some
 * platform (AWS and Azure reserve .0–.3, GCE and OpenStack put the gateway at .1, VirtualBox's host
 * sits at .1), so nodes begin at .10, like coreos-vagrant's .101 convention but leaving room in a /26.
 */
export const FIRST_HOST_OFFSET = 10;
/** The last two addresses are taken too (broadcast everywhere, GCE reserves the second-to-last). */
export const RESERVED_AT_END = 2;

/** How many nodes a block holds. */
export function nodeCapacity(c: Cidr): number {
  return Math.max(0, c.size - FIRST_HOST_OFFSET - RESERVED_AT_END);
}

export function nthNodeIp(c: Cidr, index: number): string {
  return formatIp(c.base + FIRST_HOST_OFFSET + index);
}

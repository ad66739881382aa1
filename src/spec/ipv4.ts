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

/** Whether two blocks share an address (CIDR blocks either nest or are apart). */
export const overlaps = (a: Cidr, b: Cidr): boolean => contains(a, b) || contains(b, a);

/**
 * Planned node addresses start at this offset in the block. The first addresses are taken on some
 * platform (AWS and Azure reserve .0–.3, GCE and OpenStack put the gateway at .1, VirtualBox's host
 * sits at .1), so nodes begin at .10, like coreos-vagrant's .101 convention but leaving room in a /26.
 */
export const FIRST_HOST_OFFSET = 10;
/** The last two addresses are taken too (broadcast everywhere, GCE reserves the second-to-last). */
const RESERVED_AT_END = 2;

/** How many nodes a block holds. */
export function nodeCapacity(c: Cidr): number {
  return Math.max(0, c.size - FIRST_HOST_OFFSET - RESERVED_AT_END);
}

export function nthNodeIp(c: Cidr, index: number): string {
  return formatIp(c.base + FIRST_HOST_OFFSET + index);
}

/** Address ranges as half-open intervals [first, end), sorted and merged: the union of the blocks. */
export type Ranges = readonly (readonly [number, number])[];

export function union(blocks: readonly Cidr[]): Ranges {
  const sorted = blocks.map((b) => [b.base, b.base + b.size] as const).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** `ranges` without the addresses of `blocks`. */
function subtract(ranges: Ranges, blocks: readonly Cidr[]): Ranges {
  let out = ranges;
  for (const [cutStart, cutEnd] of union(blocks)) {
    out = out.flatMap(([start, end]) =>
      [
        [start, Math.min(end, cutStart)],
        [Math.max(start, cutEnd), end],
      ].filter(([s, e]) => (s as number) < (e as number)) as [number, number][],
    );
  }
  return out;
}

const addressCount = (ranges: Ranges) => ranges.reduce((n, [start, end]) => n + end - start, 0);

/**
 * The IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates,
 * https://www.iana.org/assignments/iana-ipv4-special-registry/): private, shared, loopback,
 * link-local, documentation, benchmarking, multicast and reserved blocks. Everything else is public.
 */
const SPECIAL = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
].map(parseCidr);

/** How many public addresses the blocks cover together. */
export const publicAddresses = (blocks: readonly Cidr[]) => addressCount(subtract(union(blocks), SPECIAL));
export const PUBLIC_ADDRESSES = publicAddresses([parseCidr("0.0.0.0/0")]);

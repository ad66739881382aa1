// What an environment was last rendered with, kept beside its secrets (.coreform/<env>/record.json,
// written by render, read by everything else): each node's identity (group, number in the group, name,
// address slot, address), a digest of its user data and of each of its files, the settings its stack
// reads, and the nodes it had and no longer has. planCluster takes it as an input: a node that exists
// keeps its name and address whatever the order or the size of the groups, and a removed node's address
// is never handed to another node. Pure: reading and writing it is src/secrets/record-file.ts's.
import { createHash } from "node:crypto";
import { z } from "zod";
import { ROLES, type Environment, type Role } from "../spec/schema";

/** The record's format. */
export const RECORD_VERSION = 1;

/**
 * What made a node, or an environment's network: 0 is a coreform before records (the record was derived
 * from its output), 1 the first with records, 2 this one (issue 26: a node has its zone and its etcd data
 * disk; an environment's network, on AWS, a subnet per zone). A stack gives some settings only to
 * machines made with them, where setting them on a running machine would restart or replace it
 * (libvirt: autostart, DHCP for every address; a zone).
 */
const generation = z.union([z.literal(0), z.literal(1), z.literal(2)]);
export type Generation = z.infer<typeof generation>;
export const GENERATION: Generation = 2;

const identity = {
  name: z.string(),
  group: z.string(),
  role: z.enum(ROLES),
  /** Its number in the group: `worker-07` is 7. */
  number: z.number().int().min(0),
  /** Its address is the network's `slot`-th node address (from .10 on; on AWS with a subnet per zone, zone by zone: src/plan/plan.ts, addressOf). */
  slot: z.number().int().min(0),
  ip: z.string(),
};

const recordSchema = z.object({
  version: z.literal(RECORD_VERSION),
  /** Of the environment's network and other shared resources. */
  generation,
  /** What a stack reads besides the nodes (src/platforms/changes.ts judges a change); absent when derived from an earlier coreform's output. */
  settings: z
    .object({
      /** The cluster's name (in every resource name, the etcd token and the default state key). */
      name: z.string(),
      cidr: z.string(),
      /** The environment's settings as parsed (defaults filled in), without `network` (that is `cidr`). */
      environment: z.record(z.string(), z.unknown()),
      /** etcd.diskGiB, once a node has an etcd data disk (made with generation 2); absent before. */
      etcdDiskGiB: z.number().int().optional(),
    })
    .optional(),
  /** Each group's name width: `worker-01` is 2 and stays 2 when the group grows past 99. */
  groups: z.record(z.string(), z.object({ width: z.number().int().min(1) })),
  /** In slot order. */
  nodes: z.array(
    z.object({
      ...identity,
      /**
       * The failure domain it was placed in, an index into the environment's zones (src/plan/plan.ts,
       * zoneOf): kept, so that no later run reads a zone list differently. Absent: placed without one
       * (made before generation 2, or a platform without zones).
       */
      zone: z.number().int().min(0).optional(),
      generation,
      /** Digest of its user data as rendered; empty when unknown. */
      userData: z.string(),
      /** Digest of each of its files (path, `unit:<name>`, `hostname`, `ssh`); absent when derived from an earlier coreform's output. */
      files: z.record(z.string(), z.string()).optional(),
    }),
  ),
  /** Nodes the environment no longer has: a name and its slot stay bound to each other. */
  retired: z.array(z.object({ name: z.string(), group: z.string(), slot: z.number().int().min(0) })),
});

export type EnvironmentRecord = z.infer<typeof recordSchema>;
export type RecordedNode = EnvironmentRecord["nodes"][number];
export type RecordedSettings = NonNullable<EnvironmentRecord["settings"]>;
type NodeIdentity = Pick<RecordedNode, keyof typeof identity>;

/** A record read back from its file, or why it is none. */
export function parseRecord(text: string): EnvironmentRecord | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  const parsed = recordSchema.safeParse(json);
  return parsed.success ? parsed.data : (parsed.error.issues[0]?.path.join(".") || "(root)") + `: ${parsed.error.issues[0]?.message}`;
}

/** What made the environment (no node), or one node of it: a node the record does not hold is new, so this coreform's. */
export const generationOf = (record: EnvironmentRecord | undefined, node?: string): Generation =>
  (node === undefined ? record?.generation : record?.nodes.find((n) => n.name === node)?.generation) ?? GENERATION;

/** What planCluster reads of a record: who holds which slot (and zone), each group's width, and what made the network. */
export type Placement = Pick<EnvironmentRecord, "generation" | "groups" | "nodes" | "retired">;

/** What a planned node (src/plan/plan.ts, PlannedNode) says of itself: its slot is its `index`. */
interface PlannedIdentity {
  readonly name: string;
  readonly group: string;
  readonly role: Role;
  readonly index: number;
  readonly ip: string;
  readonly zone?: number;
}

/** A planned node's number in its group, as written: the digits after `<group>-`. */
const numberOf = (node: { readonly name: string; readonly group: string }) => node.name.slice(node.group.length + 1);

export const identityOf = (node: PlannedIdentity): NodeIdentity => ({
  name: node.name,
  group: node.group,
  role: node.role,
  number: Number(numberOf(node)),
  slot: node.index,
  ip: node.ip,
});

/** A short digest: enough to tell contents apart, never to recover them. */
export const digest = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 16);

/** JSON with keys sorted at every level: the same settings give the same text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** The settings a record keeps of an environment: admin networks sorted and each once, as the stacks open them. */
export function settingsOf(name: string, cidr: string, env: Environment, etcdDiskGiB?: number): RecordedSettings {
  const { network: _own, ...rest } = env;
  const environment: Record<string, unknown> = JSON.parse(canonical(rest));
  if (Array.isArray(environment.adminCidrs)) environment.adminCidrs = [...new Set(environment.adminCidrs as string[])].sort();
  return { name, cidr, environment, ...(etcdDiskGiB !== undefined ? { etcdDiskGiB } : {}) };
}

/**
 * The record of a render: the plan's nodes with their digests and generation (kept from `previous`,
 * else this coreform's), each group's width (kept, else what its names have), and every node
 * `previous` had that the plan has not among the retired, with the ones retired before.
 */
export function recordOf(
  nodes: readonly (PlannedIdentity & { readonly userData: string; readonly files: Readonly<Record<string, string>> })[],
  settings: RecordedSettings,
  previous: EnvironmentRecord | undefined,
): EnvironmentRecord {
  const before = new Map(previous?.nodes.map((n) => [n.name, n]));
  const names = new Set(nodes.map((n) => n.name));
  const retired = [
    ...(previous?.retired ?? []).filter((r) => !names.has(r.name)),
    ...(previous?.nodes ?? []).filter((n) => !names.has(n.name)).map(({ name, group, slot }) => ({ name, group, slot })),
  ].sort((a, b) => a.slot - b.slot);
  const groups: Record<string, { width: number }> = { ...previous?.groups };
  for (const node of nodes) {
    const width = numberOf(node).length;
    if (!Object.hasOwn(previous?.groups ?? {}, node.group) && width < (groups[node.group]?.width ?? Infinity)) groups[node.group] = { width };
  }
  return {
    version: RECORD_VERSION,
    generation: previous?.generation ?? GENERATION,
    settings,
    groups: JSON.parse(canonical(groups)),
    nodes: nodes.map((node) => ({
      ...identityOf(node),
      ...(node.zone !== undefined ? { zone: node.zone } : {}),
      generation: before.get(node.name)?.generation ?? GENERATION,
      userData: node.userData,
      files: node.files,
    })),
    retired,
  };
}

/** The record as its file holds it: one node a line, so that a diff of two records reads node by node. */
export function serializeRecord(record: EnvironmentRecord): string {
  const { nodes, retired, ...head } = record;
  const list = (items: readonly unknown[]) => (items.length ? `[\n${items.map((i) => `    ${JSON.stringify(i)}`).join(",\n")}\n  ]` : "[]");
  const top = JSON.stringify(head, null, 2).replace(/\n}$/, "");
  return `${top},\n  "nodes": ${list(nodes)},\n  "retired": ${list(retired)}\n}\n`;
}

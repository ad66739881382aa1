// The firewall of every platform, computed once: the plan's ports between the cluster's own nodes, the
// admin ports (SSH, and the Kubernetes API when it runs) from `adminCidrs` only, and all traffic out.
// Each platform turns these rules into its own resources (security group rules, GCE firewalls, NSG
// rules) and adds nothing else.
import type { ClusterPlan, ClusterPort } from "../src/plan/plan";

/** Where a rule lets traffic in from: the environment's own nodes, or one CIDR of `adminCidrs`. */
type RuleSource = { readonly nodes: true } | { readonly cidr: string };

interface FirewallRule {
  /** Resource id, unique in the stack and safe as part of a cloud name (lowercase, digits, '-'). */
  readonly id: string;
  readonly port: ClusterPort;
  readonly source: RuleSource;
  readonly description: string;
}

/** What the outbound rule is for (nodes pull images and extensions, update, keep time). */
export const EGRESS_DESCRIPTION = "images, updates and time";

/** `203.0.113.0/24` → `203-0-113-0-24`: a CIDR as part of an id or a cloud name. */
const cidrId = (cidr: string) => cidr.replace(/[./]/g, "-");

/**
 * The inbound rules of an environment: between nodes first (in plan order), then the admin rules per
 * admin port and CIDR, CIDRs sorted. Ids come from a rule's content (port and CIDR), never from a
 * position in `adminCidrs`, and the order does not depend on the list's either (Azure numbers its rules
 * in this order): reordering the list changes nothing, adding a CIDR changes no other rule's id.
 * A CIDR listed twice gives one rule.
 */
export function firewallRules(plan: ClusterPlan, env: { readonly adminCidrs: readonly string[] }): FirewallRule[] {
  const cluster = plan.ports.map((port) => ({
    id: `cluster-${port.name}`,
    port,
    source: { nodes: true } as const,
    description: `${port.name} between cluster nodes`,
  }));
  const cidrs = [...new Set(env.adminCidrs)].sort();
  const admin = plan.adminPorts.flatMap((port) =>
    cidrs.map((cidr) => ({ id: `admin-${port.name}-${cidrId(cidr)}`, port, source: { cidr }, description: `${port.name} from ${cidr}` })),
  );
  return [...cluster, ...admin];
}

// The outputs of every stack, with the same keys on every platform, so that scripts reading
// `cdktf output <env>` do not care where the cluster runs. Only addresses and endpoints: never user data,
// which holds TLS keys.
import { TerraformOutput, Token, type TerraformStack } from "cdktf";
import type { ClusterPlan, PlannedNode } from "../src/plan/plan";

/** A machine's addresses as Terraform references; `publicIp` null where the node has none. */
interface NodeAddresses {
  readonly privateIp: string;
  readonly publicIp: string | null;
}

export function clusterOutputs(stack: TerraformStack, plan: ClusterPlan, nodes: readonly PlannedNode[], addresses: (i: number) => NodeAddresses): void {
  new TerraformOutput(stack, "nodes", {
    description: "node name → private IP, public IP, role",
    value: Object.fromEntries(
      nodes.map((node, i) => {
        const { privateIp, publicIp } = addresses(i);
        // Terraform's null: the key is there on every platform, its value says the node has no public address.
        return [node.name, { private_ip: privateIp, public_ip: publicIp ?? Token.nullValue(), role: node.role }];
      }),
    ),
  });
  new TerraformOutput(stack, "etcd_endpoints", { description: "etcd client URLs (TLS, client certificates)", value: plan.etcd.clientUrls });
}

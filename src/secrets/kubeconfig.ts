// The operator's kubeconfig: the API server of the first control node, trusted through k3s's server CA
// (which coreform made), and the admin certificate signed by k3s's client CA. Pure: plan + secrets in,
// YAML out.
import yaml from "js-yaml";
import type { ClusterPlan } from "../plan/plan";
import { qualifiedName } from "../spec/cluster";
import type { KubernetesSecrets } from "./store";

const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");

export interface KubeconfigOptions {
  /** Another address for the API (a tunnel, a public IP); TLS still checks the first control node's name. */
  readonly server?: string;
}

export function kubeconfig(plan: ClusterPlan, k8s: KubernetesSecrets, options: KubeconfigOptions = {}): string {
  const apiServer = plan.scheduler.apiServer;
  if (!apiServer) throw new Error(`${plan.environment} runs no Kubernetes API server`);
  const name = qualifiedName(plan);
  const firstControl = plan.etcd.members[0]!.name;
  const cluster = {
    server: options.server ?? apiServer,
    "certificate-authority-data": b64(k8s.serverCa.cert),
    // The API certificate names the node's planned IP and hostname (tls-san), not the tunnel's address.
    ...(options.server ? { "tls-server-name": firstControl } : {}),
  };
  return yaml.dump(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster }],
      users: [{ name: `${name}-admin`, user: { "client-certificate-data": b64(k8s.admin.cert), "client-key-data": b64(k8s.admin.key) } }],
      contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
      "current-context": name,
    },
    { lineWidth: -1 },
  );
}

// The boot test's specs: the kvm environment of the default cluster.yaml (libvirt, 10.43.0.0/24), with
// 3 control nodes and 1 worker, the scheduler `none` (k3s cannot be downloaded here), and the test's own
// SSH key for `core`. A variant boots one control node with the kubernetes scheduler, offline.
export interface Variant {
  readonly cidr: string;
  readonly scheduler: string;
  readonly workers: number;
  readonly control: number;
}

export const CLUSTER: Variant = { cidr: "10.43.0.0/24", scheduler: "{ kind: none }", control: 3, workers: 1 };
/** Its download of the k3s image can never succeed: nothing leaves the namespace. */
export const KUBERNETES_OFFLINE: Variant = { cidr: "10.44.0.0/24", scheduler: "{ kind: kubernetes }", control: 1, workers: 0 };

export const bootSpec = (sshKey: string, v: Variant = CLUSTER) => `apiVersion: coreform/v1
name: boot
ssh:
  authorizedKeys: ["${sshKey}"]
network:
  cidr: ${v.cidr}
nodes:
  - { name: control, role: control, count: ${v.control} }
${v.workers ? `  - { name: worker, role: worker, count: ${v.workers} }\n` : ""}scheduler: ${v.scheduler}
updates:
  rebootStrategy: etcd-lock
environments:
  kvm:
    platform: libvirt
    control: { memoryMiB: 2048, cpus: 2, diskGiB: 20 }
    worker: { memoryMiB: 2048, cpus: 2, diskGiB: 20 }
`;

// etcd's data disk in every stack: each control node made with generation 2 (src/plan/record.ts) has a
// volume of its own, never destroyed by Terraform (prevent_destroy), attached to the node's instance, so
// that a replaced instance gets it back; workers have none. A node made before (a generation-1 record)
// gets none, its resources stay exactly as they were, and its config looks for no disk.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromIgnition } from "../../cloud-config/ignition";
import { cli, tempDir } from "../helpers/cli";
import { CLOUD_ENVIRONMENTS, cloudSpec, renderedIgnition, renderedProject, synthesize, type CloudEnvironment, type Doc, type Tf } from "../helpers/stacks";

const ENVS = Object.keys(CLOUD_ENVIRONMENTS) as CloudEnvironment[];
const CONTROL = ["control-01", "control-02", "control-03"];

/** Per platform: the instance's type, the data volume's, how the volume reaches the instance, and the attributes holding user data. */
const STACKS: Record<CloudEnvironment, { instance: string; volume: string; size: string; attached: (tf: Tf, node: string) => void; userData: string[] }> = {
  aws: {
    instance: "aws_instance",
    volume: "aws_ebs_volume",
    size: "size",
    userData: ["user_data"],
    attached: (tf, node) => {
      // In the zone of its machine's subnet (never the instance's own, unknown while it is replaced).
      const subnet = /^\$\{aws_subnet\.([\w-]+)\.id\}$/.exec(tf.resource.aws_instance![node]!.subnet_id)![1];
      expect(tf.resource.aws_ebs_volume![`${node}-etcd`]).toMatchObject({ availability_zone: `\${aws_subnet.${subnet}.availability_zone}`, type: "gp3", encrypted: true });
      expect(tf.resource.aws_volume_attachment![`${node}-etcd-attachment`]).toEqual({
        device_name: "/dev/sdf",
        instance_id: `\${aws_instance.${node}.id}`,
        volume_id: `\${aws_ebs_volume.${node}-etcd.id}`,
        stop_instance_before_detaching: true,
      });
    },
  },
  gce: {
    instance: "google_compute_instance",
    volume: "google_compute_disk",
    size: "size",
    userData: ["metadata"],
    attached: (tf, node) => {
      // In its instance's zone.
      expect(tf.resource.google_compute_disk![`${node}-etcd`]).toMatchObject({ zone: tf.resource.google_compute_instance![node]!.zone, type: "pd-balanced" });
      expect(tf.resource.google_compute_instance![node]!.attached_disk).toEqual([{ source: `\${google_compute_disk.${node}-etcd.id}`, device_name: "etcd", mode: "READ_WRITE" }]);
    },
  },
  azure: {
    instance: "azurerm_linux_virtual_machine",
    volume: "azurerm_managed_disk",
    size: "disk_size_gb",
    userData: ["custom_data"],
    attached: (tf, node) => {
      // In its VM's zone (a zonal VM takes zonal disks only).
      const zone = tf.resource.azurerm_linux_virtual_machine![node]!.zone;
      expect(zone).toMatch(/^[123]$/);
      expect(tf.resource.azurerm_managed_disk![`${node}-etcd`]).toMatchObject({ create_option: "Empty", storage_account_type: "StandardSSD_LRS", zone });
      expect(tf.resource.azurerm_virtual_machine_data_disk_attachment![`${node}-etcd-attachment`]).toEqual({
        managed_disk_id: `\${azurerm_managed_disk.${node}-etcd.id}`,
        virtual_machine_id: `\${azurerm_linux_virtual_machine.${node}.id}`,
        lun: 0,
        caching: "None",
      });
    },
  },
  openstack: {
    instance: "openstack_compute_instance_v2",
    volume: "openstack_blockstorage_volume_v3",
    size: "size",
    userData: ["user_data"],
    attached: (tf, node) => {
      expect(tf.resource.openstack_blockstorage_volume_v3![`${node}-etcd`]).toMatchObject({ enable_online_resize: true });
      expect(tf.resource.openstack_compute_volume_attach_v2![`${node}-etcd-attachment`]).toEqual({
        instance_id: `\${openstack_compute_instance_v2.${node}.id}`,
        volume_id: `\${openstack_blockstorage_volume_v3.${node}-etcd.id}`,
      });
    },
  },
  libvirt: {
    instance: "libvirt_domain",
    volume: "libvirt_volume",
    size: "capacity",
    userData: [],
    attached: (tf, node) => {
      expect(tf.resource.libvirt_volume![`${node}-etcd`]).toMatchObject({ capacity_unit: "bytes", target: { format: { type: "qcow2" } } });
      expect(tf.resource.libvirt_domain![node]!.devices.disks[1]).toEqual({
        source: { volume: { pool: `\${libvirt_volume.${node}-etcd.pool}`, volume: `\${libvirt_volume.${node}-etcd.name}` } },
        target: { dev: "vdb", bus: "virtio" },
        driver: { name: "qemu", type: "qcow2" },
        serial: "coreform-etcd",
      });
    },
  },
};

/** Every resource name of a stack that is about a data disk. */
const diskResources = (tf: Tf) => Object.entries(tf.resource).flatMap(([type, all]) => Object.keys(all).filter((n) => /^[a-z0-9-]+-\d+-etcd/.test(n)).map((n) => `${type}.${n}`));
/** The data disk the node's script looks for: its DISK_GIB, empty for none. */
const scriptDisk = (dir: string, env: string, node: string) => {
  const script = fromIgnition(renderedIgnition(dir, env, node)).files.find((f) => f.path === "/opt/coreform/etcd-member");
  return script && /^DISK_GIB=\$\{DISK_GIB-'(\d*)'\}/m.exec(script.contents)![1];
};

describe("etcd's data disk on every platform with a stack", () => {
  let made: string;
  let before: string;
  beforeAll(async () => {
    made = await renderedProject(cloudSpec({}, (doc: Doc) => (doc.etcd = { diskGiB: 20 })));
    // The same environments with nodes a coreform before data disks made: generation 1 for each node of each
    // record (the environment's own stays: on AWS it decides the subnets, and so the addresses), then rendered again.
    before = tempDir();
    cpSync(made, before, { recursive: true });
    for (const env of ENVS) {
      const file = join(before, ".coreform", env, "record.json");
      const record = JSON.parse(readFileSync(file, "utf8"));
      for (const n of record.nodes) n.generation = 1;
      writeFileSync(file, JSON.stringify(record));
    }
    const r = await cli(before, "render");
    expect(r.code).toBe(0);
    rendered = r.stderr;
  });
  let rendered = "";

  test("render names the nodes made before data disks, and how each gets one", () => {
    for (const env of ENVS)
      expect(rendered).toContain(`  next: control-01, control-02, control-03: etcd's data on the root disk, no data disk (made before data disks): \`coreform roll ${env} NODE\` gives each one, one at a time`);
  });

  test.each(ENVS)("%s: each control node has a kept volume of etcd.diskGiB, attached to its machine; workers have none", (env) => {
    const { tf } = synthesize(made, env);
    const s = STACKS[env];
    for (const node of CONTROL) {
      const volume = tf.resource[s.volume]![`${node}-etcd`]!;
      // A zonal disk keeps the zone it was made in, like its machine (issue 26's zones).
      expect(volume.lifecycle).toEqual({ prevent_destroy: true, ...(env === "gce" || env === "azure" ? { ignore_changes: ["zone"] } : {}) });
      expect(volume[s.size]).toBe(env === "libvirt" ? 20 * 2 ** 30 : 20);
      s.attached(tf, node);
      expect(scriptDisk(made, env, node)).toBe("20");
    }
    expect(diskResources(tf).filter((n) => n.includes("worker"))).toEqual([]);
    expect(scriptDisk(made, env, "worker-01")).toBeUndefined();
  });

  test.each(ENVS)("%s: nodes of a generation-1 record get no data disk, and their machines stay as they were", (env) => {
    const old = synthesize(before, env).tf;
    const now = synthesize(made, env).tf;
    expect(diskResources(old)).toEqual([]);
    const s = STACKS[env];
    const withoutDisk = (tf: Tf, node: string) => {
      const r = JSON.parse(JSON.stringify(tf.resource[s.instance]![node])) as Doc;
      for (const key of s.userData) delete r[key];
      delete r.attached_disk;
      // Nodes made before generation 2 have no zone's server group either (test/stacks/zones.test.ts).
      delete r.scheduler_hints;
      if (r.devices) r.devices.disks = r.devices.disks.slice(0, 1);
      return r;
    };
    for (const node of CONTROL) {
      expect(withoutDisk(old, node)).toEqual(withoutDisk(now, node));
      expect(old.resource[s.instance]![node]!.attached_disk).toBeUndefined();
      expect(scriptDisk(before, env, node)).toBe("");
    }
  });
});

// The rendered Vagrantfile: box, machines, addresses, sizes and provisioners, read back from its text;
// `coreform render` writing it for vagrant environments only; the pieces `up` uses to read Vagrant.
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fromCloudConfig } from "../../cloud-config/coreos-cloudinit";
import { flatcarBox } from "../../src/platforms/vagrant";
import { planCluster } from "../../src/plan/plan";
import { hostOnlyWarning, versionAtLeast } from "../../src/vagrant/host";
import { MachineProgress, parseStatus } from "../../src/vagrant/progress";
import {
  INSTALL_USER_DATA,
  renderVagrantfile,
  USER_DATA_PATH,
  USER_DATA_UPLOAD,
  vagrantfileModel,
  type VagrantfileModel,
} from "../../src/vagrant/vagrantfile";
import { cli, project, smallSpec } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";

const envs = `environments:
  laptop:
    platform: vagrant
    network: { cidr: 192.168.56.0/24 }
    control: { memoryMiB: 3072, cpus: 3 }
    worker: { memoryMiB: 1024, cpus: 1 }
  kvm:
    platform: libvirt
`;
const specText = (opts: Parameters<typeof smallSpec>[0] = {}, os = "") =>
  smallSpec(opts).replace(/environments:[\s\S]*$/, envs) + (os ? `os: ${os}\n` : "");

const modelFor = (text: string) => {
  const spec = specFrom(text);
  return vagrantfileModel(spec.environments.laptop!, planCluster(spec, "laptop"), (n) => `cloud-config/${n.name}.yaml`);
};

/** One machine's block of the Vagrantfile: from its `config.vm.define` to its `end`. */
function machineBlocks(text: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/^ {2}config\.vm\.define '([^']+)' do \|machine\|\n([\s\S]*?)^ {2}end$/gm)) blocks.set(m[1]!, m[2]!);
  return blocks;
}

describe("the Vagrantfile model", () => {
  test("one machine per planned node: name, address, netmask and the role's size", () => {
    const model = modelFor(specText({ control: 3, worker: 2 }));
    expect(model.machines).toEqual([
      { name: "control-01", ip: "192.168.56.10", netmask: "255.255.255.0", memoryMiB: 3072, cpus: 3, userData: "cloud-config/control-01.yaml" },
      { name: "control-02", ip: "192.168.56.11", netmask: "255.255.255.0", memoryMiB: 3072, cpus: 3, userData: "cloud-config/control-02.yaml" },
      { name: "control-03", ip: "192.168.56.12", netmask: "255.255.255.0", memoryMiB: 3072, cpus: 3, userData: "cloud-config/control-03.yaml" },
      { name: "worker-01", ip: "192.168.56.13", netmask: "255.255.255.0", memoryMiB: 1024, cpus: 1, userData: "cloud-config/worker-01.yaml" },
      { name: "worker-02", ip: "192.168.56.14", netmask: "255.255.255.0", memoryMiB: 1024, cpus: 1, userData: "cloud-config/worker-02.yaml" },
    ]);
  });

  test.each([
    ["192.168.56.0/24", "255.255.255.0"],
    ["192.168.56.0/26", "255.255.255.192"],
    ["192.168.56.0/21", "255.255.248.0"],
    ["10.0.0.0/8", "255.0.0.0"],
  ])("netmask of %s is %s", (cidr, mask) => {
    // scheduler none: Kubernetes' pod and service ranges would lie inside 10.0.0.0/8.
    expect(modelFor(specText({ control: 1, worker: 0, scheduler: "none" }).replace("192.168.56.0/24", cidr)).machines[0]!.netmask).toBe(mask);
  });

  test.each([
    [{ channel: "stable", version: "current" }, { name: "flatcar-stable", url: "https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_vagrant.json" }],
    [{ channel: "beta", version: "current" }, { name: "flatcar-beta", url: "https://beta.release.flatcar-linux.net/amd64-usr/current/flatcar_production_vagrant.json" }],
    [
      { channel: "lts", version: "4081.3.6" },
      { name: "flatcar-lts", url: "https://lts.release.flatcar-linux.net/amd64-usr/4081.3.6/flatcar_production_vagrant.json", version: "4081.3.6" },
    ],
  ] as const)("box of %j", (os, box) => {
    expect(flatcarBox(os)).toEqual(box);
  });

  test("only a vagrant environment has a Vagrantfile", () => {
    const spec = specFrom(specText());
    expect(() => vagrantfileModel(spec.environments.kvm!, planCluster(spec, "kvm"), () => "x")).toThrow("environment kvm is not a vagrant environment");
  });
});

describe("the rendered Vagrantfile", () => {
  test("box, machines, hostnames, addresses, sizes and provisioners, in plan order", () => {
    const text = renderVagrantfile(modelFor(specText({ control: 3, worker: 2 })));
    expect(text).toContain("\n  config.vm.box = 'flatcar-stable'\n");
    expect(text).toContain("\n  config.vm.box_url = 'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_vagrant.json'\n");
    expect(text).not.toContain("box_version");
    expect(text).toContain("\n  config.ssh.insert_key = false\n");
    expect(text).toContain('\n  config.vm.synced_folder ".", "/vagrant", disabled: true\n');
    expect(text).toContain("\nVagrant.require_version '>= 2.2.5'\n");

    const blocks = machineBlocks(text);
    expect([...blocks.keys()]).toEqual(["control-01", "control-02", "control-03", "worker-01", "worker-02"]);
    const model = modelFor(specText({ control: 3, worker: 2 }));
    for (const m of model.machines) {
      expect(blocks.get(m.name)).toBe(
        [
          `    machine.vm.hostname = '${m.name}'`,
          `    machine.vm.network :private_network, ip: '${m.ip}', netmask: '255.255.255.0'`,
          "    machine.vm.provider :virtualbox do |vb|",
          `      vb.memory = ${m.memoryMiB}`,
          `      vb.cpus = ${m.cpus}`,
          "    end",
          `    local_settings(machine, '${m.name}')`,
          `    machine.vm.provision :file, source: 'cloud-config/${m.name}.yaml', destination: '/tmp/vagrantfile-user-data'`,
          "    machine.vm.provision :shell, privileged: true, inline: INSTALL_USER_DATA",
          "",
        ].join("\n"),
      );
    }
    expect(text).toContain(`\nINSTALL_USER_DATA = '${INSTALL_USER_DATA}'\n`);
  });

  test("the user data is uploaded where core may write, then moved root-owned and 0600 to where the box applies it", () => {
    expect(USER_DATA_UPLOAD).toBe("/tmp/vagrantfile-user-data");
    expect(USER_DATA_PATH).toBe("/var/lib/flatcar-vagrant/vagrantfile-user-data");
    expect(INSTALL_USER_DATA).toBe(
      "chown root:root /tmp/vagrantfile-user-data && chmod 0600 /tmp/vagrantfile-user-data && mkdir -p /var/lib/flatcar-vagrant && " +
        "mv /tmp/vagrantfile-user-data /var/lib/flatcar-vagrant/vagrantfile-user-data",
    );
  });

  test("a pinned os.version pins box_version and the release directory", () => {
    const text = renderVagrantfile(modelFor(specText({ control: 1, worker: 0 }, "{ channel: beta, version: 4593.1.0 }")));
    expect(text).toContain("\n  config.vm.box = 'flatcar-beta'\n");
    expect(text).toContain("\n  config.vm.box_url = 'https://beta.release.flatcar-linux.net/amd64-usr/4593.1.0/flatcar_production_vagrant.json'\n");
    expect(text).toContain("\n  config.vm.box_version = '4593.1.0'\n");
  });

  test("config.rb is read before the machines and each machine applies its local settings", () => {
    const text = renderVagrantfile(modelFor(specText({ control: 1, worker: 0 })));
    const load = text.indexOf('load local_config if File.exist?(local_config)');
    expect(load).toBeGreaterThan(0);
    expect(text.indexOf('local_config = File.join(File.dirname(__FILE__), "config.rb")')).toBeLessThan(load);
    expect(load).toBeLessThan(text.indexOf("Vagrant.configure"));
    expect(text).toContain('machine.vm.network :forwarded_port, guest: guest, host: host, host_ip: "127.0.0.1"');
    expect(text).toContain('machine.vm.synced_folder host_dir, guest_dir, id: "share-#{i}", type: "nfs", nfs_udp: false');
  });

  test("values are Ruby literals that cannot interpolate", () => {
    const model: VagrantfileModel = { ...modelFor(specText({ control: 1, worker: 0 })) };
    const text = renderVagrantfile({ ...model, box: { name: "it's #{`id`}\\", url: "u" } });
    expect(text).toContain("config.vm.box = 'it\\'s #{`id`}\\\\'\n");
  });

  test("deterministic: the same model gives the same text", () => {
    expect(renderVagrantfile(modelFor(specText()))).toBe(renderVagrantfile(modelFor(specText())));
  });
});

describe("coreform render and the Vagrantfile", () => {
  test("written for vagrant environments only, 0644, next to the cloud-configs it uploads", async () => {
    const dir = project(specText({ control: 3, worker: 1 }));
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    // Each environment gets its platform's format only: Ignition for kvm, cloud-config (and the Vagrantfile) for the laptop.
    expect(readdirSync(join(dir, "out/kvm")).sort()).toEqual(["ignition", "plan.json", "topology.svg"]);
    expect(readdirSync(join(dir, "out/laptop")).sort()).toEqual(["Vagrantfile", "cloud-config", "plan.json", "topology.svg"]);
    const vagrantfile = join(dir, "out/laptop/Vagrantfile");
    expect(statSync(vagrantfile).mode & 0o777).toBe(0o644);
    const text = readFileSync(vagrantfile, "utf8");
    expect(text).not.toMatch(/BEGIN|PRIVATE/);
    for (const [name, block] of machineBlocks(text)) {
      const source = /source: '([^']+)'/.exec(block)![1]!;
      // The uploaded file is the node's cloud-config (that it carries the same NodeConfig as the node's
      // Ignition config is checked for every node in test/cloud-config/formats.test.ts).
      const cloudConfig = readFileSync(join(dir, "out/laptop", source), "utf8");
      expect(fromCloudConfig(cloudConfig).hostname).toBe(name);
    }
  });

  test("a new render replaces the Vagrantfile and keeps config.rb and .vagrant/", async () => {
    const dir = project(specText({ control: 3, worker: 1 }));
    expect((await cli(dir, "render", "laptop")).code).toBe(0);
    writeFileSync(join(dir, "out/laptop/config.rb"), "$forwarded_ports = {}\n");
    mkdirSync(join(dir, "out/laptop/.vagrant/machines/control-01/virtualbox"), { recursive: true });
    writeFileSync(join(dir, "out/laptop/.vagrant/machines/control-01/virtualbox/id"), "vm-id");
    writeFileSync(join(dir, "cluster.yaml"), specText({ control: 1, worker: 1 }));
    // Two etcd members of three fewer: refused unless accepted by name.
    expect((await cli(dir, "render", "laptop", "--accept", "remove-members,quorum")).code).toBe(0);
    expect([...machineBlocks(readFileSync(join(dir, "out/laptop/Vagrantfile"), "utf8")).keys()]).toEqual(["control-01", "worker-01"]);
    expect(readFileSync(join(dir, "out/laptop/config.rb"), "utf8")).toBe("$forwarded_ports = {}\n");
    expect(readFileSync(join(dir, "out/laptop/.vagrant/machines/control-01/virtualbox/id"), "utf8")).toBe("vm-id");
  });
});

describe("reading Vagrant", () => {
  test("one progress line per machine, when Vagrant moves on and at the end", () => {
    const p = new MachineProgress(["control-01", "worker-01"], "up");
    const lines = [
      "Bringing machine 'control-01' up with 'virtualbox' provider...",
      "==> control-01: Importing base box 'flatcar-stable'...",
      "    control-01: SSH username: core",
      "==> control-01: Running provisioner: shell...",
      "==> worker-01: Importing base box 'flatcar-stable'...",
      "==> worker-01: Machine booted and ready!",
      "==> other: not one of ours",
    ];
    expect(lines.map((l) => p.line(l))).toEqual([[], [], [], [], ["control-01 up (1/2)"], [], []]);
    expect(p.working).toBe("worker-01");
    expect(p.end(true)).toEqual(["worker-01 up (2/2)"]);
    const failed = new MachineProgress(["control-01"], "up");
    failed.line("==> control-01: Booting VM...");
    expect(failed.end(false)).toEqual([]);
    expect(failed.working).toBe("control-01");
  });

  test("vagrant status --machine-readable → states by machine", () => {
    const text = [
      "1700000000,control-01,metadata,provider,virtualbox",
      "1700000000,control-01,provider-name,virtualbox",
      "1700000000,control-01,state,running",
      "1700000000,control-01,state-human-short,running",
      "1700000000,control-01,state-human-long,The VM is running.%!(VAGRANT_COMMA) To stop it",
      "1700000000,worker-01,state,poweroff",
      "1700000000,,ui,info,Current machine states:\\n\\ncontrol-01 running (virtualbox)",
    ].join("\n");
    expect([...parseStatus(text)]).toEqual([
      ["control-01", "running"],
      ["worker-01", "poweroff"],
    ]);
  });

  test.each([
    ["2.2.5", true],
    ["2.3.4", true],
    ["2.10.0", true],
    ["3.0", true],
    ["2.2.4", false],
    ["1.9.8", false],
  ])("Vagrant %s is new enough: %s", (version, ok) => {
    expect(versionAtLeast(version, "2.2.5")).toBe(ok);
  });

  test("networks outside VirtualBox's default host-only range are warned about", () => {
    expect(hostOnlyWarning("laptop", "192.168.56.0/24")).toBeUndefined();
    expect(hostOnlyWarning("laptop", "192.168.63.0/24")).toBeUndefined();
    expect(hostOnlyWarning("laptop", "192.168.64.0/24")).toMatch(/^warning: laptop: 192\.168\.64\.0\/24 is outside 192\.168\.56\.0\/21/);
    expect(hostOnlyWarning("laptop", "10.42.0.0/24")).toContain('add "* 10.42.0.0/24" to /etc/vbox/networks.conf');
  });
});

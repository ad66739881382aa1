// The rendered Vagrantfile through Debian's real Vagrant (2.3.4). VirtualBox cannot run here, so:
//   - `vagrant validate --ignore-provider` checks everything but the provider block: without the flag
//     Vagrant stops at "No usable default provider", and with it the VirtualBox settings (memory, cpus)
//     are evaluated but not validated;
//   - Vagrant's own Ruby API (Vagrant::Environment, as `vagrant up` loads the file) reads every
//     machine's configuration back, including the VBoxManage `modifyvm` calls the VirtualBox block
//     turns memory and cpus into, and the test compares it with the plan.
// Not verified here: downloading the box, booting it, the host-only network, the provisioners running
// and coreos-cloudinit applying the user data, NFS shared folders (Vagrant checks the host's NFS server).
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planCluster } from "../../src/plan/plan";
import { INSTALL_USER_DATA, renderVagrantfile, vagrantfileModel } from "../../src/vagrant/vagrantfile";
import { cli, project, smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";
import { describeWithTools } from "../helpers/tools";

const ENVS = `environments:
  laptop:
    platform: vagrant
    network: { cidr: 192.168.56.0/24 }
    control: { memoryMiB: 3072, cpus: 3 }
    worker: { memoryMiB: 1536, cpus: 1 }
`;
const specText = (control: number, worker: number, os = "") =>
  smallSpec({ control, worker }).replace(/environments:[\s\S]*$/, ENVS) + (os ? `os: ${os}\n` : "");

interface Run {
  code: number;
  output: string;
}

let vagrantHome: string;
beforeAll(() => {
  vagrantHome = tempDir("coreform-vagrant-home-");
});

/** Runs a command in `cwd` with its own Vagrant home and no call home to HashiCorp's version check. */
function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  const env = { ...process.env, VAGRANT_HOME: vagrantHome, VAGRANT_CHECKPOINT_DISABLE: "1" };
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: 120_000, encoding: "utf8" }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

const validate = (dir: string) => run("vagrant", ["validate", "--ignore-provider"], dir);

/** What Vagrant reads from the Vagrantfile in the current directory, per machine, as JSON. */
const DUMP = `
require "json"
require "vagrant"
env = Vagrant::Environment.new(cwd: Dir.pwd)
machines = env.machine_names.map do |name|
  # validate_provider = false: VirtualBox is not installed; its config block is still evaluated.
  c = env.vagrantfile.machine_config(name, :virtualbox, env.boxes, nil, false)[:config]
  vb = c.vm.get_provider_config(:virtualbox)
  {
    name: name, box: c.vm.box, box_url: c.vm.box_url, box_version: c.vm.box_version,
    hostname: c.vm.hostname, insert_key: c.ssh.insert_key,
    networks: c.vm.networks.map { |type, o| [type, o.slice(:ip, :netmask, :guest, :host, :host_ip)] },
    synced_folders: c.vm.synced_folders.map { |id, o| [id, o[:disabled] == true] },
    virtualbox: vb.customizations.map { |event, command| [event, *command.map(&:to_s)] },
    check_guest_additions: vb.check_guest_additions, functional_vboxsf: vb.functional_vboxsf,
    provisioners: c.vm.provisioners.map do |p|
      p.type == :file ? [p.type, p.config.source, p.config.destination] : [p.type, p.config.inline, p.config.privileged]
    end,
  }
end
puts JSON.generate(machines)
`;

interface Machine {
  name: string;
  box: string;
  box_url: string[];
  box_version: string | null;
  hostname: string;
  insert_key: boolean;
  networks: [string, Record<string, string | number>][];
  synced_folders: [string, boolean][];
  virtualbox: string[][];
  check_guest_additions: boolean;
  functional_vboxsf: boolean;
  provisioners: unknown[][];
}

async function readBack(dir: string): Promise<Machine[]> {
  const script = join(tempDir(), "dump.rb");
  writeFileSync(script, DUMP);
  const r = await run("ruby", [script], dir);
  if (r.code !== 0) throw new Error(`reading the Vagrantfile through Vagrant failed:\n${r.output}`);
  return JSON.parse(r.output.slice(r.output.indexOf("["))) as Machine[];
}

async function renderLaptop(text: string): Promise<{ dir: string; out: string }> {
  const dir = project(text);
  const r = await cli(dir, "render", "laptop");
  if (r.code !== 0) throw new Error(r.stderr);
  return { dir, out: join(dir, "out/laptop") };
}

describeWithTools(["vagrant", "ruby"])("vagrant on the rendered Vagrantfile", () => {
  test.each([
    [1, 1, 0],
    [3, 3, 0],
    [5, 3, 2],
  ])("%i nodes: vagrant validate accepts it, and Vagrant reads back exactly the planned machines", async (_n, control, worker) => {
    const text = specText(control, worker);
    const { out } = await renderLaptop(text);
    const plan = planCluster(specFrom(text), "laptop");

    const v = await validate(out);
    expect(v.output).toContain("Vagrantfile validated successfully.");
    expect(v.code).toBe(0);
    for (const n of plan.nodes) expect(v.output).toContain(`==> ${n.name}: Ignoring provider config for validation...`);

    const machines = await readBack(out);
    expect(machines.map((m) => m.name)).toEqual(plan.nodes.map((n) => n.name));
    for (const [i, m] of machines.entries()) {
      const node = plan.nodes[i]!;
      const size = node.role === "control" ? { memory: "3072", cpus: "3" } : { memory: "1536", cpus: "1" };
      expect(m).toEqual({
        name: node.name,
        box: "flatcar-stable",
        box_url: ["https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_vagrant.json"],
        box_version: null,
        hostname: node.name,
        insert_key: false,
        // Vagrant adds SSH's forwarded port itself.
        networks: [
          ["private_network", { ip: node.ip, netmask: "255.255.255.0" }],
          ["forwarded_port", { guest: 22, host: 2222, host_ip: "127.0.0.1" }],
        ],
        synced_folders: [["/vagrant", true]],
        virtualbox: [
          ["pre-boot", "modifyvm", "id", "--memory", size.memory],
          ["pre-boot", "modifyvm", "id", "--cpus", size.cpus],
        ],
        check_guest_additions: false,
        functional_vboxsf: false,
        provisioners: [
          ["file", `cloud-config/${node.name}.yaml`, "/tmp/vagrantfile-user-data"],
          ["shell", INSTALL_USER_DATA, true],
        ],
      });
    }
  });

  test("a pinned os.version reaches Vagrant as box_version and the release's box URL", async () => {
    const { out } = await renderLaptop(specText(1, 0, "{ channel: beta, version: 4593.1.0 }"));
    expect((await validate(out)).code).toBe(0);
    const [m] = await readBack(out);
    expect(m).toMatchObject({
      box: "flatcar-beta",
      box_version: "4593.1.0",
      box_url: ["https://beta.release.flatcar-linux.net/amd64-usr/4593.1.0/flatcar_production_vagrant.json"],
    });
  });

  test("config.rb adds forwarded ports (on the host's 127.0.0.1) to the machine it names", async () => {
    const { out } = await renderLaptop(specText(3, 0));
    writeFileSync(join(out, "config.rb"), '$forwarded_ports = { "control-02" => { 2379 => 12379 } }\n');
    expect((await validate(out)).code).toBe(0);
    const machines = await readBack(out);
    expect(machines[1]!.networks).toContainEqual(["forwarded_port", { guest: 2379, host: 12379, host_ip: "127.0.0.1" }]);
    expect(machines[0]!.networks.filter(([type]) => type === "forwarded_port")).toHaveLength(1);
  });

  describe("and fails on broken settings (so the checks above can fail)", () => {
    test("a hostname Vagrant refuses", async () => {
      const { out } = await renderLaptop(specText(1, 0));
      const spec = specFrom(specText(1, 0));
      const model = vagrantfileModel(spec.environments.laptop!, planCluster(spec, "laptop"), (n) => `cloud-config/${n.name}.yaml`);
      writeFileSync(join(out, "Vagrantfile"), renderVagrantfile({ ...model, machines: model.machines.map((m) => ({ ...m, name: "control_01" })) }));
      const v = await validate(out);
      expect(v.code).not.toBe(0);
      expect(v.output).toContain("The hostname set for the VM 'control_01' should only contain letters, numbers");
    });

    test("a cloud-config that is not there", async () => {
      const { out } = await renderLaptop(specText(3, 0));
      rmSync(join(out, "cloud-config/control-02.yaml"));
      const v = await validate(out);
      expect(v.code).not.toBe(0);
      expect(v.output).toContain(`File upload source file ${join(out, "cloud-config/control-02.yaml")} must exist`);
    });

    test("a forwarded port out of range in config.rb", async () => {
      const { out } = await renderLaptop(specText(1, 0));
      writeFileSync(join(out, "config.rb"), '$forwarded_ports = { "control-01" => { 2379 => 70000 } }\n');
      const v = await validate(out);
      expect(v.code).not.toBe(0);
      expect(v.output).toContain("Ports to forward must be 1 to 65535");
    });

    test("a config.rb that is not Ruby", async () => {
      const { out } = await renderLaptop(specText(1, 0));
      writeFileSync(join(out, "config.rb"), "$forwarded_ports = {\n");
      const v = await validate(out);
      expect(v.code).not.toBe(0);
      expect(v.output).toContain(`${join(out, "config.rb")}:`);
      expect(readFileSync(join(out, "Vagrantfile"), "utf8")).toContain("load local_config if File.exist?(local_config)");
    });
  });
});

// `coreform up` and `coreform down`: the host checks, the command sequence Vagrant receives, the
// streamed output with one progress line per machine, and what is (not) written. The CLI runs in a
// child process with a recording `vagrant` on its PATH (see fake-vagrant.ts).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { project, smallSpec, tree } from "../helpers/cli";
import { coreform, fakeHost } from "./fake-vagrant";

const LAPTOP = "  laptop:\n    platform: vagrant\n    network: { cidr: 192.168.56.0/24 }\n";
const KVM = "  kvm:\n    platform: libvirt\n";

/** smallSpec with its environments replaced by `envs` (YAML lines below `environments:`). */
const specWith = (envs: string, opts: Parameters<typeof smallSpec>[0] = { control: 3, worker: 0 }) =>
  smallSpec(opts).replace(/environments:[\s\S]*$/, `environments:\n${envs}`);

const UP_SEQUENCE = (env: string) => ["…|--version", "VBoxManage|--version", `${env}|up --provider=virtualbox`, `${env}|status --machine-readable`];
/** The calls, with the directory of the version check (the user's) left out: it is wherever coreform ran. */
const sequence = (calls: string[]) => calls.map((c) => (c.endsWith("|--version") && !c.startsWith("VBoxManage") ? "…|--version" : c));

describe("coreform up", () => {
  test("checks the host, renders, runs vagrant up in out/<env>/ and checks every machine runs", async () => {
    const host = fakeHost();
    const dir = project(specWith(LAPTOP + KVM));
    const r = await coreform(host, dir, "up");
    expect(r.stderr).toBe(`laptop: created the etcd CA and 13 more secrets in ${join(dir, ".coreform/laptop")} (back it up)\n`);
    expect(r.code).toBe(0);
    expect(sequence(host.calls())).toEqual(UP_SEQUENCE("laptop"));

    // Only the vagrant environment was rendered, Vagrantfile included, next to its cloud-configs.
    expect(readdirSync(join(dir, "out"))).toEqual(["laptop"]);
    expect(readdirSync(join(dir, "out/laptop")).sort()).toEqual(["Vagrantfile", "cloud-config", "plan.json", "topology.svg"]);
    expect(readFileSync(join(dir, "out/laptop/Vagrantfile"), "utf8")).toContain("config.vm.define 'control-03'");

    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("coreform up laptop: Vagrant 2.3.4, VirtualBox 7.0.14r161095");
    expect(lines[1]).toBe(`rendered laptop (vagrant): 3 nodes → ${join(dir, "out/laptop")}`);
    // Vagrant's output streamed as it came, a progress line when Vagrant is done with a machine.
    const at = (text: string) => lines.indexOf(text);
    expect(at("==> control-01: Importing base box 'flatcar-stable'...")).toBeGreaterThan(1);
    expect(at("coreform: control-01 up (1/3)")).toBe(at("==> control-02: Importing base box 'flatcar-stable'...") - 1);
    expect(at("coreform: control-02 up (2/3)")).toBe(at("==> control-03: Importing base box 'flatcar-stable'...") - 1);
    expect(at("coreform: control-03 up (3/3)")).toBe(at("==> control-03: Running provisioner: shell...") + 1);
    expect(lines.filter((l) => l.startsWith("coreform: "))).toHaveLength(3);
    expect(lines).toContain("    control-02: SSH address: 127.0.0.1:2222");
    expect(r.stdout).toContain("coreform up laptop: 3 machines running\n  control-01   control  192.168.56.10\n");
    expect(r.stdout).toContain(`\`vagrant ssh control-01\` in ${join(dir, "out/laptop")}`);
    // The default scheduler is kubernetes: where its API is, and how to get a kubeconfig.
    expect(r.stdout).toContain("Kubernetes (k3s) answers at https://192.168.56.10:6443 once it has started: `coreform kubeconfig laptop` writes your kubeconfig.");
  });

  test("is idempotent: a second run on the running cluster changes no file and creates nothing", async () => {
    const host = fakeHost();
    const dir = project(specWith(LAPTOP));
    expect((await coreform(host, dir, "up")).code).toBe(0);
    const out = tree(join(dir, "out"));
    const secrets = tree(join(dir, ".coreform"));
    const again = await coreform(host, dir, "up");
    expect(again.code).toBe(0);
    expect(again.stderr).toBe("");
    expect(tree(join(dir, "out"))).toEqual(out);
    expect(tree(join(dir, ".coreform"))).toEqual(secrets);
    expect(again.stdout).not.toContain("Importing base box");
    expect(again.stdout).toContain("==> control-02: VirtualBox VM is already running.");
    expect(again.stdout).toContain("coreform: control-03 up (3/3)");
    expect(sequence(host.calls())).toEqual([...UP_SEQUENCE("laptop"), ...UP_SEQUENCE("laptop")]);
  });

  test("ENV or --env picks the environment; out/ and the spec file can be chosen", async () => {
    const host = fakeHost();
    const dir = project(specWith(LAPTOP + "  second:\n    platform: vagrant\n    network: { cidr: 192.168.57.0/24 }\n"));
    writeFileSync(join(dir, "other.yaml"), readFileSync(join(dir, "cluster.yaml")));
    expect((await coreform(host, dir, "up", "second")).code).toBe(0);
    expect((await coreform(host, dir, "up", "--env", "laptop", "-f", "other.yaml", "-o", "elsewhere")).code).toBe(0);
    expect(sequence(host.calls())).toEqual([...UP_SEQUENCE("second"), ...UP_SEQUENCE("laptop")]);
    expect(readdirSync(join(dir, "out"))).toEqual(["second"]);
    expect(readdirSync(join(dir, "elsewhere"))).toEqual(["laptop"]);
  });

  test.each([
    ["no vagrant environment", KVM, [], /has no vagrant environment: add one with platform: vagrant/],
    ["two and none chosen", LAPTOP + LAPTOP.replace("laptop", "other"), [], /several vagrant environments \(laptop, other\): pick one with --env/],
    ["not a vagrant environment", LAPTOP + KVM, ["kvm"], /kvm is a libvirt environment: coreform up and down drive vagrant environments only \(laptop\)/],
    ["unknown environment", LAPTOP, ["nope"], /no environment nope in .*cluster.yaml \(it has: laptop\)/],
    ["two different names", LAPTOP, ["laptop", "--env", "other"], /two environments given \(laptop and --env other\)/],
  ])("%s: exit 2, no tool run, nothing written", async (_name, envs, args, message) => {
    const host = fakeHost();
    const dir = project(specWith(envs));
    const r = await coreform(host, dir, "up", ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(host.calls()).toEqual([]);
    expect(readdirSync(dir)).toEqual(["cluster.yaml"]);
  });

  test("an invalid spec: exit 2 with its problems, no tool run", async () => {
    const host = fakeHost();
    const dir = project(specWith(LAPTOP.replace("platform: vagrant", "platform: vagrant\n    control: { cpus: 0 }")));
    const r = await coreform(host, dir, "up");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("environments.laptop.control.cpus:");
    expect(host.calls()).toEqual([]);
  });

  test.each([
    ["neither Vagrant nor VirtualBox", {}, {}, ["Vagrant is not installed (no vagrant on PATH): install Vagrant ≥ 2.2.5", "VirtualBox is not installed (no VBoxManage on PATH): install VirtualBox"]],
    ["no VirtualBox", { vagrant: true }, {}, ["VirtualBox is not installed (no VBoxManage on PATH): install VirtualBox: https://www.virtualbox.org/wiki/Downloads"]],
    ["no Vagrant", { virtualbox: true }, {}, ["Vagrant is not installed (no vagrant on PATH): install Vagrant ≥ 2.2.5: https://developer.hashicorp.com/vagrant/install"]],
    ["Vagrant too old", { vagrant: true, virtualbox: true }, { FAKE_VAGRANT_VERSION: "2.2.4" }, ["Vagrant 2.2.4 is too old for the Flatcar box: install Vagrant ≥ 2.2.5"]],
  ])("%s: exit 1 saying what to install; nothing written, nothing started", async (_name, tools, env, problems) => {
    const host = fakeHost(tools);
    host.env = env;
    const dir = project(specWith(LAPTOP));
    const r = await coreform(host, dir, "up");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("coreform up: this host cannot run the cluster yet, nothing was written or started:");
    for (const p of problems) expect(r.stderr).toContain(`\n  ${p}`);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("  "))).toHaveLength(problems.length);
    expect(readdirSync(dir)).toEqual(["cluster.yaml"]);
    expect(host.calls().filter((c) => !c.endsWith("|--version"))).toEqual([]);
  });

  test("a failing vagrant up: exit 1 naming the machine, progress only for the machines done", async () => {
    const host = fakeHost();
    host.env = { FAKE_FAIL_AT: "control-02" };
    const dir = project(specWith(LAPTOP));
    const r = await coreform(host, dir, "up");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("coreform: control-01 up (1/3)");
    expect(r.stdout).not.toContain("control-02 up");
    expect(r.stderr).toContain("The guest machine entered an invalid state while waiting for it to boot.");
    expect(r.stderr).toContain("coreform up: vagrant up failed at control-02 (exit 1); Vagrant's output above says why");
    // No status check after a failed up.
    expect(sequence(host.calls())).toEqual(UP_SEQUENCE("laptop").slice(0, 3));
  });

  test("a network outside VirtualBox's default host-only range is warned about, and still used", async () => {
    const host = fakeHost();
    const dir = project(specWith("  laptop:\n    platform: vagrant\n"));
    const r = await coreform(host, dir, "up");
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").slice(1).join("\n")).toBe(
      "warning: laptop: 10.42.0.0/24 is outside 192.168.56.0/21, the only host-only range VirtualBox ≥ 6.1.28 allows by default on Linux and macOS: " +
        'add "* 10.42.0.0/24" to /etc/vbox/networks.conf, or set environments.laptop.network.cidr to 192.168.56.0/24\n',
    );
    expect(readFileSync(join(dir, "out/laptop/Vagrantfile"), "utf8")).toContain("ip: '10.42.0.10'");
  });
});

describe("coreform down", () => {
  test("destroys the machines of the Vagrantfile on disk, last first; files and secrets stay", async () => {
    const host = fakeHost();
    const dir = project(specWith(LAPTOP));
    expect((await coreform(host, dir, "up")).code).toBe(0);
    const out = tree(join(dir, "out"));
    // The spec shrank since: down still removes every machine that was brought up.
    writeFileSync(join(dir, "cluster.yaml"), specWith(LAPTOP, { control: 1, worker: 0 }));
    const r = await coreform(host, dir, "down", "laptop");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(sequence(host.calls()).slice(4)).toEqual(["…|--version", "VBoxManage|--version", "laptop|status --machine-readable", "laptop|destroy --force", "laptop|status --machine-readable"]);
    const progress = r.stdout.split("\n").filter((l) => l.startsWith("coreform: "));
    expect(progress).toEqual(["coreform: control-03 destroyed (1/3)", "coreform: control-02 destroyed (2/3)", "coreform: control-01 destroyed (3/3)"]);
    expect(r.stdout).toContain("coreform down laptop: 3 machines destroyed");
    expect(tree(join(dir, "out"))).toEqual(out);
    expect(existsSync(join(dir, ".coreform/laptop/ca.key"))).toBe(true);

    const again = await coreform(host, dir, "down");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("==> control-01: VM not created. Moving on...");
  });

  test("nothing rendered: nothing to tear down, exit 0, no tool run", async () => {
    const host = fakeHost({});
    const dir = project(specWith(LAPTOP));
    const r = await coreform(host, dir, "down");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`coreform down laptop: nothing to tear down (no ${join(dir, "out/laptop/Vagrantfile")})\n`);
    expect(host.calls()).toEqual([]);
  });

  test("without Vagrant: exit 1 saying what to install, nothing destroyed", async () => {
    const host = fakeHost({ virtualbox: true });
    const dir = project(specWith(LAPTOP));
    expect((await coreform(fakeHost(), dir, "up")).code).toBe(0);
    const r = await coreform(host, dir, "down");
    expect(r.code).toBe(1);
    // What down cannot do, not what up could not.
    expect(r.stderr).toContain("coreform down: this host cannot reach the cluster's machines (vagrant destroy needs both), nothing was destroyed:\n  Vagrant is not installed (no vagrant on PATH)");
    expect(r.stderr).not.toContain("cannot run the cluster yet");
  });
});

test("npm run vagrant:up and vagrant:destroy are coreform up and down", () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8")) as { scripts: Record<string, string> };
  expect(pkg.scripts["vagrant:up"]).toMatch(/node bin\/coreform\.js up$/);
  expect(pkg.scripts["vagrant:destroy"]).toMatch(/node bin\/coreform\.js down$/);
});

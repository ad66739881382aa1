// `coreform status`, `reboot-lock` and `etcd` without a cluster: bad input is refused with exit 2 before
// anything is asked, and nothing that is asked can hang or print a secret.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { InputError } from "../../src/errors";
import { parseEndpoints, operatorTarget } from "../../src/ops/target";
import { cli, project, smallSpec } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";

/** A rendered project on a network nothing listens on (127.0.81.0/24 is this suite's). */
async function rendered(): Promise<string> {
  const dir = project(smallSpec({ cidr: "127.0.81.0/24", control: 3, worker: 0 }));
  expect((await cli(dir, "render")).code).toBe(0);
  return dir;
}

describe("--endpoints", () => {
  test("https URLs with a host and port, trailing slash allowed", () => {
    expect(parseEndpoints("https://10.0.0.1:2379, https://bastion.example:12379/")).toEqual(["https://10.0.0.1:2379", "https://bastion.example:12379"]);
    expect(parseEndpoints("https://[::1]:2379")).toEqual(["https://[::1]:2379"]);
  });

  test.each([
    ["http://10.0.0.1:2379", "must use https"],
    ["10.0.0.1:2379", "is not a URL (expected https://HOST:PORT)"],
    ["https://10.0.0.1:2379/v2", "must be just https://HOST:PORT"],
    ["https://u:p@10.0.0.1:2379", "must be just https://HOST:PORT"],
    ["https://10.0.0.1:2379,", "empty entry"],
    ["nonsense", "is not a URL"],
  ])("%s is refused", (text, message) => {
    expect(() => parseEndpoints(text)).toThrow(InputError);
    expect(() => parseEndpoints(text)).toThrow(message);
  });
});

describe("bad input: exit 2, nothing asked", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await rendered();
  });

  test.each([
    [["status"], "which environment? usage: coreform status <env>"],
    [["status", "test", "extra"], "unexpected argument extra"],
    [["status", "prod"], "no environment prod in"],
    [["status", "test", "--endpoints", "http://127.0.81.10:2379"], "--endpoints: http://127.0.81.10:2379 must use https"],
    [["reboot-lock", "test"], "usage: coreform reboot-lock <env> status|unlock <machine-id>|set-max <n>"],
    [["reboot-lock", "test", "lock"], "unknown action lock"],
    [["reboot-lock", "test", "toString"], "unknown action toString"],
    [["reboot-lock", "test", "status", "x"], "usage: coreform reboot-lock"],
    [["reboot-lock", "test", "unlock"], "usage: coreform reboot-lock"],
    [["reboot-lock", "test", "unlock", "m1"], 'machine id "m1": expected 32 lowercase hex characters'],
    [["reboot-lock", "test", "set-max", "-1"], "Unknown option '-1'"],
    [["reboot-lock", "test", "set-max", "x"], 'set-max "x": expected a whole number ≥ 0'],
    [["reboot-lock", "test", "status", "--group", ""], "--group: empty"],
    [["etcd"], "usage: coreform etcd members <ENV> | add <ENV> <NODE>"],
    [["etcd", "members"], "usage: coreform etcd members <ENV>"],
    [["etcd", "grow", "test"], "unknown action grow"],
    [["etcd", "toString", "test"], "unknown action toString"],
    [["etcd", "add", "test"], "usage: coreform etcd"],
    [["etcd", "remove", "test", "a", "b"], "usage: coreform etcd"],
    [["etcd", "members", "test", "x"], "usage: coreform etcd"],
    [["etcd", "members", "prod"], "no environment prod in"],
    [["etcd", "members", "test", "-o", "x.db"], "-o/--out goes with snapshot only"],
    [["etcd", "snapshot", "test", "--json"], "--json goes with members only"],
    [["etcd", "snapshot", "test", "-o", "cluster.yaml"], "cluster.yaml exists: choose another -o FILE"],
    [["etcd", "restore", "test", "missing.db"], "missing.db: no such file"],
    [["etcd", "restore", "test", "cluster.yaml"], "cluster.yaml is no whole etcd snapshot"],
    [["etcd", "members", "test", "--endpoints", "http://127.0.81.10:2379"], "must use https"],
  ])("coreform %j", async (argv, message) => {
    const result = await cli(dir, ...argv);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
    expect(result.stderr).toContain(message);
  });

  test("without secrets, status and reboot-lock say to render first, exit 1 as kubeconfig does, and create nothing", async () => {
    const bare = project(smallSpec({ cidr: "127.0.81.0/24" }));
    // One rule (README, Commands): missing secrets are the project's state, not bad input.
    for (const argv of [["status", "test"], ["reboot-lock", "test", "status"], ["kubeconfig", "test"]]) {
      const result = await cli(bare, ...argv);
      expect([argv, result.code]).toEqual([argv, 1]);
      expect(result.stderr).toContain("run `coreform render test` first");
    }
    expect(() => readFileSync(join(bare, ".coreform", "test", "ca.crt"))).toThrow(/ENOENT/);
  });
});

describe("nobody listening", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await rendered();
  });

  test("status: every member unreachable, quorum lost, exit 1, no secret printed", async () => {
    const result = await cli(dir, "status", "test");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("quorum:       lost: 0 of 3 members healthy, quorum needs 2");
    expect(result.stdout).toMatch(/reboot lock:  unreadable: no etcd member answered \(2000 ms timeout each\)/);
    for (const [name, ip] of [["control-01", "127.0.81.10"], ["control-02", "127.0.81.11"], ["control-03", "127.0.81.12"]])
      expect(result.stdout).toMatch(new RegExp(`\\n${name}  ${ip}  no  `));
    const key = readFileSync(join(dir, ".coreform", "test", "clients", "operator.key"), "utf8");
    for (const text of [result.stdout, result.stderr]) {
      expect(text).not.toContain("-----BEGIN");
      for (const line of key.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----"))) expect(text).not.toContain(line);
    }
  });

  test("reboot-lock: exit 1 naming every endpoint tried", async () => {
    const result = await cli(dir, "reboot-lock", "test", "unlock", "0a1b2c3d4e5f60718293a4b5c6d7e8f9");
    expect(result.code).toBe(1);
    for (const n of [10, 11, 12]) expect(result.stderr).toContain(`https://127.0.81.${n}:2379: connect ECONNREFUSED`);
  });

  test("the operator certificate prints as a placeholder, never as PEM", () => {
    const file = join(dir, "cluster.yaml");
    const target = operatorTarget(specFrom(readFileSync(file, "utf8")), file, "test");
    expect(target.tls.key).toContain("PRIVATE KEY");
    for (const text of [JSON.stringify(target), inspect(target, { depth: 10 }), String(inspect(target.tls))]) {
      expect(text).not.toContain("-----BEGIN");
      expect(text).toContain("[operator TLS]");
    }
  });

  test("etcd members, add, remove, snapshot: exit 1 naming what was tried; no snapshot file left behind", async () => {
    for (const argv of [["members", "test"], ["add", "test", "control-01"], ["remove", "test", "control-01"]]) {
      const result = await cli(dir, "etcd", ...argv);
      expect({ argv, code: result.code, stdout: result.stdout }).toEqual({ argv, code: 1, stdout: "" });
      expect(result.stderr).toMatch(/\ncoreform etcd: no etcd member answered: control-01: connect ECONNREFUSED 127\.0\.81\.10:2379; control-02: /);
    }
    const snap = await cli(dir, "etcd", "snapshot", "test", "-o", "s.db");
    expect(snap.code).toBe(1);
    for (const n of [10, 11, 12]) expect(snap.stderr).toContain(`https://127.0.81.${n}:2379:`);
    expect(readdirSync(dir).filter((f) => f.startsWith("s.db"))).toEqual([]);
  });

  test("--help states the timeout", async () => {
    for (const command of ["status", "reboot-lock", "etcd"]) expect((await cli(dir, command, "--help")).stdout).toContain("times out after 2 s");
  });
});

// When an environment's certificates end, read from .coreform/<env>/, and the warning from 90 days
// before: as a function of the day, and through validate, render and status's formatting.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { certificateStatus, formatStatus } from "../../src/cli/status";
import type { ClusterStatus } from "../../src/ops/health";
import { planCluster } from "../../src/plan/plan";
import { certificateExpiries, expiryWarning } from "../../src/secrets/expiry";
import { CA_DAYS, issueLeaf, LEAF_DAYS } from "../../src/secrets/pki";
import { ensureSecrets, secretsDir } from "../../src/secrets/store";
import { cli, project, smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";

const DAY = 24 * 60 * 60 * 1000;

async function secrets(kind = "none") {
  const dir = tempDir();
  const spec = specFrom(smallSpec({ control: 3, worker: 1, scheduler: kind }));
  await ensureSecrets(dir, planCluster(spec, "test"));
  return dir;
}

describe("certificateExpiries", () => {
  test("every certificate of an environment, the CA's ten years and the rest five, the first to end first", async () => {
    const dir = await secrets("kubernetes");
    const all = certificateExpiries(dir);
    const ids = all.map((c) => c.id);
    expect([...ids].sort()).toEqual(
      [
        "ca",
        "clients/locksmith",
        "clients/operator",
        ...["control-01", "control-02", "control-03"].map((m) => `members/${m}`),
        ...["admin", "client-ca", "etcd-ca", "request-header-ca", "server-ca"].map((k) => `kubernetes/${k}`),
      ].sort(),
    );
    const days = (id: string) => Math.round((all.find((c) => c.id === id)!.notAfter.getTime() - Date.now()) / DAY);
    expect([days("ca"), days("kubernetes/server-ca")]).toEqual([CA_DAYS, CA_DAYS]);
    expect([days("members/control-01"), days("clients/operator"), days("kubernetes/admin")]).toEqual([LEAF_DAYS, LEAF_DAYS, LEAF_DAYS]);
    expect(all.slice(0, -5).every((c) => !c.ca)).toBe(true);
    expect(certificateExpiries(join(dir, "missing"))).toEqual([]);
  });

  test("the warning: nothing before 90 days; then the first to end, how many more, and what to do", async () => {
    const all = certificateExpiries(await secrets());
    const end = all[0]!.notAfter.getTime();
    expect(expiryWarning(all, new Date(end - 91 * DAY))).toBeUndefined();
    const soon = expiryWarning(all, new Date(end - 89 * DAY + 60_000));
    expect(soon).toMatch(/^certificate \S+ ends \d{4}-\d\d-\d\d \(in 8\d days\) and 4 more within 90 days: render renews them from 30 days before; they reach a running node only when it is replaced, one node at a time \(README, Certificates\)$/);
    const ca = all.find((c) => c.ca)!.notAfter.getTime();
    expect(expiryWarning(all, new Date(ca - 10 * DAY))).toMatch(/^certificate \S+ ended .* \(\d+ days ago\) and 5 more within 90 days: a CA cannot be renewed under running nodes/);
  });
});

describe("validate, render and status warn from 90 days before", () => {
  /** A project whose locksmith certificate ends in `days` days (signed by its own CA). */
  async function projectEnding(days: number): Promise<string> {
    const dir = project(smallSpec({ control: 1, worker: 1 }));
    expect((await cli(dir, "render")).code).toBe(0);
    const secrets = secretsDir(dir, "test");
    const ca = { cert: readFileSync(join(secrets, "ca.crt"), "utf8"), key: readFileSync(join(secrets, "ca.key"), "utf8") };
    const short = await issueLeaf(ca, { commonName: "locksmith", usage: "client" }, days);
    writeFileSync(join(secrets, "clients/locksmith.crt"), short.cert);
    writeFileSync(join(secrets, "clients/locksmith.key"), short.key, { mode: 0o600 });
    return dir;
  }
  const WARNING = /^warning: environments\.test: certificate clients\/locksmith ends \d{4}-\d\d-\d\d \(in 4[01] days\): render renews them from 30 days before; they reach a running node only when it is replaced, one node at a time \(README, Certificates\)$/m;

  test("validate: a warning line, still valid (exit 0); none without secrets or with time to spare", async () => {
    const dir = await projectEnding(41);
    const r = await cli(dir, "validate");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(WARNING);
    const fresh = project(smallSpec({ control: 1, worker: 1 }));
    expect((await cli(fresh, "validate")).stderr).not.toMatch(/certificate/);
    expect((await cli(fresh, "render")).stderr).not.toMatch(/certificate/);
    expect((await cli(fresh, "validate")).stderr).not.toMatch(/certificate/);
  });

  test("render: the same warning (the certificate as the running nodes have it), the render goes on", async () => {
    const dir = await projectEnding(41);
    const r = await cli(dir, "render");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(WARNING);
  });

  test("status's line: the first to end, or the warning; --json has both", async () => {
    const status = { cluster: "t", environment: "test", timeoutMs: 2000, members: [], quorum: { state: "healthy", healthy: 0, members: 0, needed: 1 }, rebootLock: { error: "x" } } as ClusterStatus;
    const fine = certificateStatus(certificateExpiries(await secrets()));
    expect(formatStatus(status, fine).at(-1)).toMatch(/^certificates: first to end: \S+ ends \d{4}-\d\d-\d\d \(in 182[45] days\)$/);
    const dir = await projectEnding(41);
    const soon = certificateStatus(certificateExpiries(secretsDir(dir, "test")));
    expect(soon).toEqual({ first: { id: "clients/locksmith", notAfter: expect.any(String), daysLeft: 40 }, warning: expect.stringMatching(/^certificate clients\/locksmith ends /) });
    expect(formatStatus(status, soon).at(-1)).toMatch(/^certificates: warning: certificate clients\/locksmith ends .* \(in 40 days\): render renews them/);
  });
});

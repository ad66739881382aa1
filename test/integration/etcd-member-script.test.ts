// The control nodes' etcd-member script as rendered, checked by ShellCheck (Debian's), and the
// snapshot timer's schedules as systemd itself parses them (`systemd-analyze calendar`). What the
// script does is tested against real etcd in rejoin.test.ts and membership.test.ts.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { snapshotCalendar } from "../../src/node/etcd";
import { buildNodeConfig } from "../../src/node/build";
import { planCluster } from "../../src/plan/plan";
import { ensureSecrets } from "../../src/secrets/store";
import { smallSpec, tempDir } from "../helpers/cli";
import { specFrom } from "../helpers/nodes";
import { describeWithTools } from "../helpers/tools";

const run = promisify(execFile);

async function script(extra: string, control: number): Promise<string> {
  const spec = specFrom(smallSpec({ control, worker: 0 }).replace("updates:", `${extra}\nupdates:`));
  const plan = planCluster(spec, "test");
  const secrets = await ensureSecrets(tempDir(), plan);
  const config = buildNodeConfig({ spec, plan, node: plan.nodes[0]!, secrets });
  return config.files.find((f) => f.path === "/opt/coreform/etcd-member")!.contents;
}

describeWithTools(["shellcheck", "systemd-analyze"])("the etcd-member script and its timer, as rendered", () => {
  test.each([
    ["the default etcd, 3 members", "", 3],
    ["etcd 3.4 (etcdctl restores), 1 member", "etcd: { version: v3.4.37 }", 1],
    ["7 members, a digest", `etcd: { digest: "sha256:${"ab".repeat(32)}" }`, 7],
  ])("%s: ShellCheck finds nothing", async (_n, extra, control) => {
    const file = join(tempDir(), "etcd-member");
    writeFileSync(file, await script(extra, control));
    const result = await run("shellcheck", ["--shell=bash", "--severity=style", file]).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    expect(result).toEqual({ code: 0, out: "" });
  });

  test.each(["hourly", "daily", "weekly", "00:00", "03:30", "23:59"])("schedule %s is a calendar systemd reads", async (schedule) => {
    const calendar = snapshotCalendar(schedule)!;
    const { stdout } = await run("systemd-analyze", ["calendar", calendar]);
    expect(stdout).toMatch(/Next elapse: /);
  });
});

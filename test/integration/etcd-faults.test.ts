// Every command that talks to etcd ends within its stated time and closes what it opened, whatever the
// endpoints do: real faults on loopback, the CLI in a child process timed to its exit (not to its
// answer). A listener that accepts and never answers; one that never accepts (its backlog full); one
// that sends a byte of a TLS record now and then; one that answers garbage; a real etcd (Debian's
// etcd-server) stopped with SIGSTOP. Ranges: 127.0.91.0/24 (listeners), 127.0.92.0/24 (etcd).
import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { cliProcess, project, smallSpec, cli, type ProcessResult } from "../helpers/cli";
import { renderCluster, startCluster, type Rendered } from "../helpers/cluster";
import { sleep, stopAllEtcd, waitHealthy, type EtcdProcess } from "../helpers/etcd";
import { describeWithTools } from "../helpers/tools";
import { COMMAND_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "../../src/ops/timeout";
import { bounded, firstAnswer, operatorTarget } from "../../src/ops/target";
import { ask, within } from "../../src/ops/v3";
import { specFrom } from "../helpers/nodes";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const LOOPBACK_WARNING = /^warning: network\.cidr: \S+ is a loopback network: .*\n?/;
const ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/** A listener on `ip:2379` that does `onSocket` with each connection it accepts, keeping every socket it saw. */
async function listener(ip: string, onSocket: (s: Socket) => void = () => {}): Promise<{ server: Server; sockets: Socket[]; open: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const closed = new Set<Socket>();
  const server = createServer((s) => {
    sockets.push(s);
    s.resume(); // read what comes, so that the client's FIN is seen
    s.on("error", () => {});
    s.on("close", () => closed.add(s));
    onSocket(s);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(2379, ip, resolve));
  return {
    server,
    sockets,
    open: () => sockets.filter((s) => !closed.has(s)).length,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A listener whose process never accepts: a child that listens with a backlog of 1 and is then
 * stopped (SIGSTOP); `fill` connections held here take the queue, so later SYNs are dropped.
 */
async function neverAccepts(ip: string): Promise<{ close: () => void }> {
  const child: ChildProcess = spawn(process.execPath, ["-e", `require("net").createServer(() => {}).listen({ port: 2379, host: "${ip}", backlog: 1 }, () => process.stdout.write("up"))`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  child.kill("SIGSTOP");
  // Fill the accept queue (backlog + 1 on Linux) with connections the kernel completes for nobody.
  const held = await Promise.all([0, 1, 2].map(() => new Promise<Socket>((resolve) => { const s = connect(2379, ip); s.on("error", () => {}); s.once("connect", () => resolve(s)); setTimeout(() => resolve(s), 300); })));
  return {
    close: () => {
      for (const s of held) s.destroy();
      child.kill("SIGKILL");
    },
  };
}

/** The bytes of a TLS handshake record's header announcing 16 KiB, then zeros: never a whole record. */
function trickle(s: Socket): void {
  const bytes = [0x16, 0x03, 0x03, 0x40, 0x00];
  let i = 0;
  const timer = setInterval(() => s.writable && s.write(Buffer.from([bytes[i++] ?? 0])), 250);
  s.on("close", () => clearInterval(timer));
}

/** A rendered project on 127.0.91.0/24, where nothing but these tests' listeners runs. */
async function listenersProject(): Promise<string> {
  const dir = project(smallSpec({ cidr: "127.0.91.0/24", control: 3, worker: 0, scheduler: "none" }));
  expect((await cli(dir, "render")).code).toBe(0);
  return dir;
}

/** Runs the CLI as a user does and checks it ended, by itself, within the command's stated time. */
async function timed(dir: string, ...args: string[]): Promise<ProcessResult> {
  const r = await cliProcess(dir, args, { killAfterMs: 4 * COMMAND_TIMEOUT_MS });
  expect({ args, signal: r.signal }).toEqual({ args, signal: null });
  expect(r.ms).toBeLessThan(COMMAND_TIMEOUT_MS);
  expect(r.stderr).not.toMatch(/DEADLINE_EXCEEDED|waiting for name resolution|SSL routines|\n\s+at /);
  return { ...r, stderr: r.stderr.replace(LOOPBACK_WARNING, "") };
}

const describeEtcd = describeWithTools(["etcd", "etcdctl"]);

describe("hostile listeners (127.0.91.0/24)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await listenersProject();
  });

  test("accepts and never answers: status and reboot-lock end in time, every connection closed by then", async () => {
    const silent = await listener("127.0.91.10");
    try {
      const actions = [["status"], ["set-max", "2"], ["unlock", ID]];
      const [status, ...locks] = await Promise.all([
        timed(dir, "status", "test", "--endpoints", "https://127.0.91.10:2379"),
        ...actions.map((action) => timed(dir, "reboot-lock", "test", ...action, "--endpoints", "https://127.0.91.10:2379")),
      ]);
      expect(status!.code).toBe(1);
      expect(status!.stdout).toContain(`control-01 (https://127.0.91.10:2379): no answer within ${REQUEST_TIMEOUT_MS} ms`);
      for (const [i, lock] of locks.entries())
        expect([actions[i], lock.code, lock.stderr.trim()]).toEqual([
          actions[i],
          1,
          `coreform reboot-lock: no etcd member answered (${REQUEST_TIMEOUT_MS} ms timeout each): https://127.0.91.10:2379: no answer within ${REQUEST_TIMEOUT_MS} ms`,
        ]);
      expect(silent.sockets.length).toBeGreaterThan(0);
      await sleep(200); // the FINs on their way
      expect(silent.open()).toBe(0);
    } finally {
      await silent.close();
    }
  });

  test("one healthy-looking path and one silent: status ends; reboot-lock with the silent one first ends too", async () => {
    const silent = await listener("127.0.91.11");
    try {
      // Both endpoints silent but in different roles: the probe asks them at once, the lock walks them in order.
      const both = "https://127.0.91.11:2379,https://127.0.91.10:2379";
      const quiet = await listener("127.0.91.10");
      try {
        const [status, lock] = await Promise.all([timed(dir, "status", "test", "--endpoints", both), timed(dir, "reboot-lock", "test", "status", "--endpoints", both)]);
        expect(status.code).toBe(1);
        expect(lock.stderr).toContain(`https://127.0.91.11:2379: no answer within ${REQUEST_TIMEOUT_MS} ms; https://127.0.91.10:2379: no answer within`);
        await sleep(200);
        expect(silent.open() + quiet.open()).toBe(0);
      } finally {
        await quiet.close();
      }
    } finally {
      await silent.close();
    }
  });

  test("never accepts (its backlog full): status and reboot-lock end in time", async () => {
    const stuck = await neverAccepts("127.0.91.12");
    try {
      const [status, lock] = await Promise.all([
        timed(dir, "status", "test", "--endpoints", "https://127.0.91.12:2379"),
        timed(dir, "reboot-lock", "test", "set-max", "2", "--endpoints", "https://127.0.91.12:2379"),
      ]);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain(`(https://127.0.91.12:2379): no answer within ${REQUEST_TIMEOUT_MS} ms`);
      expect(lock.code).toBe(1);
    } finally {
      stuck.close();
    }
  });

  test("sends a byte of a TLS record now and then, never a whole one: status and reboot-lock end in time", async () => {
    const slow = await listener("127.0.91.13", trickle);
    try {
      const [status, lock] = await Promise.all([
        timed(dir, "status", "test", "--endpoints", "https://127.0.91.13:2379"),
        timed(dir, "reboot-lock", "test", "status", "--endpoints", "https://127.0.91.13:2379"),
      ]);
      expect(status.stdout).toContain(`(https://127.0.91.13:2379): no answer within ${REQUEST_TIMEOUT_MS} ms`);
      expect(lock.code).toBe(1);
      await sleep(200);
      expect(slow.open()).toBe(0);
    } finally {
      await slow.close();
    }
  });

  test("answers garbage instead of TLS: said in words, not OpenSSL's", async () => {
    const garbage = await listener("127.0.91.14", (s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\nnot etcd\n"));
    try {
      const [status, lock] = await Promise.all([
        timed(dir, "status", "test", "--endpoints", "https://127.0.91.14:2379"),
        timed(dir, "reboot-lock", "test", "status", "--endpoints", "https://127.0.91.14:2379"),
      ]);
      expect(status.stdout).toMatch(/\(https:\/\/127\.0\.91\.14:2379\): not a TLS answer \([a-z ]+\): is this an etcd client URL\?$/m);
      expect(lock.stderr).toMatch(/https:\/\/127\.0\.91\.14:2379: not a TLS answer \([a-z ]+\): is this an etcd client URL\?/);
    } finally {
      await garbage.close();
    }
  });

  test("the helpers other commands build on: ask and firstAnswer end in time and leave no socket open, in this process too", async () => {
    const silent = await listener("127.0.91.15");
    try {
      const file = join(dir, "cluster.yaml");
      const target = operatorTarget(specFrom(readFileSync(file, "utf8")), file, "test", "https://127.0.91.15:2379");
      const started = Date.now();
      // A call that forgets `within` is still cut at the request timeout.
      await expect(ask(target, (c) => c.get("k").string())).rejects.toThrow(`https://127.0.91.15:2379: no answer within ${REQUEST_TIMEOUT_MS} ms`);
      await expect(ask(target, (c) => c.cluster.memberList({}, within(target)))).rejects.toThrow(/no answer within/);
      expect(Date.now() - started).toBeLessThan(2 * REQUEST_TIMEOUT_MS + 1000);
      await sleep(200);
      expect(silent.open()).toBe(0);
      // The command's deadline holds over any number of tries: a target whose time is up asks nobody.
      const late = { ...target, deadline: Date.now() - 1 };
      await expect(firstAnswer(late, () => Promise.resolve(1))).rejects.toThrow("not asked: the command's time was up");
      await expect(bounded(new Promise(() => {}), 50)).rejects.toThrow("no answer within 50 ms");
    } finally {
      await silent.close();
    }
  });
});

describeEtcd("a real etcd stopped with SIGSTOP (127.0.92.0/24)", () => {
  let cluster: Rendered;
  let procs: EtcdProcess[] = [];
  beforeAll(async () => {
    cluster = await renderCluster("127.0.92", 3);
    procs = await startCluster(cluster);
    await waitHealthy(procs, cluster.members.map((m) => m.clientUrl), cluster.operator);
  }, 40_000);
  afterAll(async () => {
    for (const p of procs) if (!p.hasEnded()) p.child.kill("SIGCONT");
    await stopAllEtcd();
  }, 20_000);

  test("one member stopped: status says degraded in time; reboot-lock with it first still works", async () => {
    const [first] = procs as [EtcdProcess];
    first.child.kill("SIGSTOP");
    try {
      // When the stopped member led, the other two elect a leader after etcd's election timeout (1 s by
      // default) and answer "leader changed" until then: each status stays bounded, and the election ends.
      let status = await timed(cluster.dir, "status", "test");
      for (let i = 0; i < 5 && status.stdout.includes("leader changed"); i++) status = await timed(cluster.dir, "status", "test");
      expect(status.code).toBe(1);
      expect(status.stdout).toContain("quorum:       degraded: 2 of 3 members healthy, quorum needs 2");
      expect(status.stdout).toContain(`control-01 (${cluster.members[0]!.clientUrl}): no answer within ${REQUEST_TIMEOUT_MS} ms`);
      const set = await timed(cluster.dir, "reboot-lock", "test", "set-max", "2");
      expect(set.code).toBe(0);
      expect(set.stdout).toContain("max 1 → 2");
    } finally {
      first.child.kill("SIGCONT");
    }
  });

  test("every member stopped: status and reboot-lock end in time", async () => {
    for (const p of procs) p.child.kill("SIGSTOP");
    try {
      const [status, lock] = await Promise.all([timed(cluster.dir, "status", "test"), timed(cluster.dir, "reboot-lock", "test", "unlock", ID)]);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain("quorum:       lost: 0 of 3 members healthy, quorum needs 2");
      expect(lock.code).toBe(1);
    } finally {
      for (const p of procs) p.child.kill("SIGCONT");
    }
  });
});

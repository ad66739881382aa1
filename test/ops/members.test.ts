// The rules of `coreform etcd add` and `remove`, and of `coreform roll`'s gates, on membership views
// (what readMembership returns): one member at a time, never at the cost of the quorum, never against the plan.
import { checkAdd, checkRemove, checkReplace, notBack, Refused, type Membership, type MemberView } from "../../src/ops/members";

const member = (name: string, state: MemberView["state"], healthy = true, planned = true): MemberView => ({
  name,
  ...(state === "planned" ? {} : { id: name.slice(-2) }),
  peerUrl: `https://10.0.0.${name.slice(-2)}:2380`,
  state,
  planned,
  healthy,
  leader: false,
});
const membership = (...members: MemberView[]): Membership => ({ cluster: "t", environment: "prod", members, quorum: { state: "healthy", healthy: 0, voting: 0, needed: 0 } });

function refusal(fn: () => unknown): { message: string; byCluster: boolean } {
  try {
    fn();
  } catch (e) {
    if (e instanceof Refused) return { message: e.message, byCluster: e.byCluster };
    throw e;
  }
  throw new Error("not refused");
}

describe("checkAdd", () => {
  const three = [member("control-01", "voting"), member("control-02", "voting"), member("control-03", "voting")];
  test("a planned node that is no member, every member healthy: added", () => {
    expect(checkAdd(membership(...three, member("control-04", "planned")), "control-04").state).toBe("planned");
  });
  test("a member already: returned as it is, nothing to add", () => {
    expect(checkAdd(membership(...three), "control-02").state).toBe("voting");
  });
  test.each([
    ["not planned", membership(...three), "control-09", false, "control-09 is not a control node of prod"],
    ["a learner still joining", membership(...three, member("control-04", "learner"), member("control-05", "planned")), "control-05", true, "control-04 (learner) has not joined yet"],
    ["an added member that never started", membership(...three, member("control-04", "added", false), member("control-05", "planned")), "control-05", true, "control-04 (added) has not joined yet"],
    ["an unhealthy member", membership(member("control-01", "voting"), member("control-02", "voting", false), member("control-03", "voting"), member("control-04", "planned")), "control-04", true, "control-02 is not healthy"],
  ])("refused: %s", (_n, m, name, byCluster, message) => {
    expect(refusal(() => checkAdd(m, name))).toEqual({ message: expect.stringContaining(message), byCluster });
  });
});

describe("checkRemove", () => {
  const planned = [member("control-01", "voting"), member("control-02", "voting"), member("control-03", "voting")];
  test("a member the plan no longer has, the rest a healthy quorum: removed", () => {
    expect(checkRemove(membership(...planned, member("control-04", "voting", true, false)), "control-04").name).toBe("control-04");
  });
  test("a learner: always (it counts for no quorum), even with the rest unhealthy", () => {
    const sick = [member("control-01", "voting", false), member("control-02", "voting", false), member("control-03", "voting")];
    expect(checkRemove(membership(...sick, member("control-04", "learner", false, false)), "control-04").state).toBe("learner");
  });
  test("a dead member the plan no longer has: removed when the others are a quorum", () => {
    const m = membership(member("control-01", "voting"), member("control-02", "voting"), member("control-03", "voting", false, false));
    expect(checkRemove(m, "control-03").healthy).toBe(false);
  });
  test.each([
    ["no member", membership(...planned), "control-07", false, "control-07 is not a member of t/prod (members: control-01, control-02, control-03)"],
    ["a planned one", membership(...planned), "control-02", false, "control-02 is still a control node of prod's plan"],
    ["the only voting member", membership(member("control-02", "voting", true, false)), "control-02", false, "the only voting member"],
    [
      "the rest without a healthy quorum",
      membership(member("control-01", "voting", false), member("control-02", "voting"), member("control-03", "voting", true, false)),
      "control-03",
      true,
      "removing control-03 leaves 1 healthy of 2 voting members, and a quorum needs 2: make control-01 healthy first",
    ],
  ])("refused: %s", (_n, m, name, byCluster, message) => {
    expect(refusal(() => checkRemove(m, name))).toEqual({ message: expect.stringContaining(message), byCluster });
  });
});

describe("checkReplace (coreform roll, before each node)", () => {
  const three = [member("control-01", "voting"), member("control-02", "voting"), member("control-03", "voting")];
  test.each([
    ["a member of 3 healthy ones: 2 left are a quorum of 3", membership(...three), "control-02"],
    ["the one broken member itself: its replacement changes no count", membership(member("control-01", "voting"), member("control-02", "voting", false), member("control-03", "voting")), "control-02"],
    ["a worker while etcd has a quorum with one member down", membership(member("control-01", "voting"), member("control-02", "voting", false), member("control-03", "voting")), "worker-01"],
    ["a member of 5 with one other down", membership(...three, member("control-04", "voting", false), member("control-05", "voting")), "control-01"],
  ])("allowed: %s", (_n, m, name) => {
    expect(() => checkReplace(m, name)).not.toThrow();
  });
  test.each([
    ["another member down: no spare", membership(member("control-01", "voting"), member("control-02", "voting"), member("control-03", "voting", false)), "control-01",
      "replacing control-01 leaves 1 healthy of 3 voting members, and a quorum needs 2: make control-03 healthy first"],
    ["the only member", membership(member("control-01", "voting")), "control-01", "replacing control-01 leaves 0 healthy of 1 voting members, and a quorum needs 1: no member is spare (1 control node: grow to 3 first)"],
    ["two of three: no spare either", membership(member("control-01", "voting"), member("control-02", "voting")), "control-02", "replacing control-02 leaves 1 healthy of 2 voting members, and a quorum needs 2: no member is spare (2 control nodes: grow to 3 first)"],
    ["a member still joining", membership(...three, member("control-04", "learner")), "control-01", "control-04 (learner) has not joined yet: wait until `coreform etcd members prod` shows it voting"],
    ["a worker while etcd has no quorum", membership(member("control-01", "voting"), member("control-02", "voting", false), member("control-03", "voting", false)), "worker-01",
      "etcd has 1 healthy of 3 voting members, and a quorum needs 2: make control-02, control-03 healthy first"],
  ])("refused: %s", (_n, m, name, message) => {
    expect(refusal(() => checkReplace(m, name))).toEqual({ message, byCluster: true });
  });
});

describe("notBack (coreform roll, after each control node)", () => {
  const others = [member("control-01", "voting"), member("control-03", "voting")];
  test.each([
    ["voting and healthy, every member healthy", [...others, member("control-02", "voting")], undefined],
    ["not listed (its old member removed, the new one not added yet)", others, "control-02 is no member"],
    ["a learner", [...others, member("control-02", "learner")], "control-02 is a learner, catching up"],
    ["added, not started", [...others, member("control-02", "added", false)], "control-02 is added, never started"],
    ["voting, unhealthy", [...others, member("control-02", "voting", false)], "control-02 is not healthy"],
    ["back, but another member is not healthy", [member("control-01", "voting", false), member("control-03", "voting"), member("control-02", "voting")], "control-01 not healthy"],
  ])("%s", (_n, members, why) => {
    expect(notBack(membership(...members), "control-02")).toBe(why);
  });
});

// Why a request failed, in one line: a deadline is the same words whichever side ended the call.
import { GRPCDeadlineExceededError, GRPCUnknownError } from "etcd3";
import { reason } from "../../src/ops/target";

test.each([
  ["grpc-js's own deadline", new Error("4 DEADLINE_EXCEEDED: Deadline exceeded after 2.001s")],
  ["etcd's, as grpc-js gives it (a linearizable read without quorum: Go's ctx error, code UNKNOWN)", new GRPCUnknownError("2 UNKNOWN: context deadline exceeded")],
  ["etcd's, as a bare message", new GRPCDeadlineExceededError("context deadline exceeded")],
  ["the command's own timer", new Error("no answer within 2000 ms")],
])("%s: no answer within the time it had", (_name, e) => {
  expect(reason(e, 2000)).toBe("no answer within 2000 ms");
});

test("a refused connection keeps its cause", () => {
  expect(reason(new Error("14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2379. Resolution note: "), 2000)).toBe(
    "connect ECONNREFUSED 127.0.0.1:2379",
  );
});

// CDKTF's jest matchers (toHaveResourceWithProperties, toHaveDataSourceWithProperties…) for the stack
// tests. Only they load cdktf: every other test file is spared its ~0.2 s.
import { sep } from "node:path";

if (expect.getState().testPath?.includes(`${sep}test${sep}stacks${sep}`)) (require("cdktf") as typeof import("cdktf")).Testing.setupJest();

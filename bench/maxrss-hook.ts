// Loaded with --require into every Node process of a measured command when GNU time is missing (see
// measure.ts): appends this process's peak RSS in KiB and its user and system CPU seconds to
// $BENCH_MAXRSS_FILE at exit.
import { appendFileSync } from "node:fs";

const file = process.env.BENCH_MAXRSS_FILE;
if (file)
  process.on("exit", () => {
    const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
    appendFileSync(file, `${maxRSS} ${userCPUTime / 1e6} ${systemCPUTime / 1e6}\n`);
  });

// `coreform diff [ENV…]`: what `coreform render` would change in each environment, against the record
// of its last render, without writing anything: per node added, removed, changed (which files) or
// unchanged, the etcd members before and after with their quorum, each changed setting with what it
// does on the platform, what render would refuse, and the steps that carry the change out.
import { EXIT_INVALID, EXIT_OK } from "../errors";
import type { Io } from "../io";
import { standing } from "../plan/changes";
import { chooseEnvironments, loadSpecOrFail } from "../spec/file";
import { changeView } from "./changes-view";
import { lockHolder } from "./lock";
import { acceptedKinds, outDirOf, renderInMemory, type RenderOptions } from "./render";
import { stateDir } from "./repairs";

interface DiffOptions extends RenderOptions {
  readonly json?: boolean;
}

export async function diff(io: Io, names: string[], options: DiffOptions): Promise<number> {
  const accepted = acceptedKinds(options.accept);
  const { spec, file } = loadSpecOrFail(io, options.file);
  const chosen = chooseEnvironments(spec, file, names);
  const busy = lockHolder(stateDir(file));
  if (busy) throw new Error(`${busy} is writing this project: run coreform diff again when it is done`);
  // New secrets are made in memory only (a readdressed member's certificate, say), never written.
  const { rendered } = await renderInMemory(io, spec, file, chosen, { secrets: "create", outDir: outDirOf(io, file, options.out) });
  if (options.json) io.out(JSON.stringify(rendered.map((r) => r.change), null, 2));
  else
    rendered.forEach((r, i) => {
      if (i) io.out("");
      for (const line of changeView(r.change, accepted)) io.out(line);
    });
  return rendered.some((r) => standing(r.change, accepted).length) ? EXIT_INVALID : EXIT_OK;
}

// Where coreform's own files (templates/, the default cluster.yaml) are, whether it runs from
// TypeScript sources (tests) or from the compiled dist/ (the CLI).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

function findRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "templates"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`coreform's templates/ not found above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

let root: string | undefined;
export function projectFile(relative: string): string {
  root ??= findRoot();
  return join(root, relative);
}

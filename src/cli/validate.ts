import { dirname } from "node:path";
import { EXIT_OK, InputError } from "../errors";
import type { Io } from "../io";
import { certificateExpiries, expiryWarning } from "../secrets/expiry";
import { secretsDir } from "../secrets/store";
import { loadSpecOrFail } from "../spec/file";
import { formatIssue } from "../spec/issues";
import type { Spec } from "../spec/schema";

/**
 * Warns for each environment whose certificates in .coreform/<env>/ (when it has any: validate
 * creates none) end within 90 days: they are the ones its running nodes have.
 */
export function warnExpiringCertificates(io: Io, spec: Spec, specFile: string, envs: readonly string[] = Object.keys(spec.environments)): void {
  for (const env of envs) {
    const warning = expiryWarning(certificateExpiries(secretsDir(dirname(specFile), env)));
    if (warning) io.err(formatIssue({ severity: "warning", path: `environments.${env}`, message: warning }));
  }
}

export function validate(io: Io, positionals: string[], options: { readonly file?: string }): number {
  if (positionals.length) throw new InputError(`unexpected argument ${positionals[0]}`);
  const { spec, file: path } = loadSpecOrFail(io, options.file);
  warnExpiringCertificates(io, spec, path);
  const envs = Object.keys(spec.environments);
  io.out(`${path}: valid (${envs.length} ${envs.length === 1 ? "environment" : "environments"}: ${envs.join(", ")})`);
  return EXIT_OK;
}

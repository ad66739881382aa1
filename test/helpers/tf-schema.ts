// Synthesized stacks checked against the providers' real schemas. The OpenStack and libvirt bindings in
// stacks/bindings/ are coreform's own (no prebuilt CDKTF package exists for either provider), so every
// attribute they write is checked here with the workplace's schema checker
// (`check-tf-schema.js --strict`) against the providers' schemas rebuilt from their source at the
// pinned releases. Those files are not part of this repository: the folder holding them
// (tools/check-tf-schema.js and reference/provider-schemas/) is COREFORM_SHARED_DIR, or `../shared`
// beside the checkout, or /work/shared. In CI (CI set) it must exist; elsewhere the check is skipped
// with a loud notice.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";

/** The schema file of each provider coreform has bindings for, at the version the bindings pin. */
export const SCHEMA_FILES = { openstack: "openstack-3.4.0.json", libvirt: "libvirt-0.9.7.json" } as const;
export type SchemaProvider = keyof typeof SCHEMA_FILES;

/**
 * Resource schemas the reference files lack, in `terraform providers schema -json`'s form, written here
 * from the provider's source at the pinned release. openstack_compute_servergroup_v2:
 * terraform-provider-openstack openstack/resource_openstack_compute_servergroup_v2.go@v3.4.0:13-74
 * (name required; region optional+computed; policies a list of strings, MinItems 1, MaxItems 1; rules a
 * block list, MaxItems 1, of max_server_per_host (int); members computed; value_specs a map; the SDK's id).
 */
const OWN_SCHEMAS: Partial<Record<SchemaProvider, object>> = {
  openstack: {
    format_version: "1.0",
    provider_schemas: {
      "registry.terraform.io/terraform-provider-openstack/openstack": {
        resource_schemas: {
          openstack_compute_servergroup_v2: {
            version: 0,
            block: {
              attributes: {
                id: { type: "string", optional: true, computed: true },
                region: { type: "string", optional: true, computed: true },
                name: { type: "string", required: true },
                policies: { type: ["list", "string"], optional: true },
                members: { type: ["list", "string"], computed: true },
                value_specs: { type: ["map", "string"], optional: true },
              },
              block_types: {
                rules: { nesting_mode: "list", block: { attributes: { max_server_per_host: { type: "number", optional: true } } }, max_items: 1 },
              },
            },
          },
        },
      },
    },
  },
};

/** Where the checker and schemas are: a folder holding tools/check-tf-schema.js and reference/provider-schemas/. */
function sharedDir(): string | undefined {
  const candidates = [process.env.COREFORM_SHARED_DIR, resolve(__dirname, "../../../shared"), "/work/shared"];
  return candidates.find((d): d is string => !!d && existsSync(join(d, "tools", "check-tf-schema.js")) && existsSync(join(d, "reference", "provider-schemas")));
}

export interface SchemaCheck {
  /** Problems the checker reports, one line each (empty when clean); notes on stderr count as problems with --strict. */
  readonly problems: string[];
  readonly code: number;
  readonly stderr: string;
}

/** Runs the checker with --strict on `stack` (Terraform JSON text) against the named providers' schemas. */
export function checkSchema(stack: string, providers: readonly SchemaProvider[], dir = sharedDir()): SchemaCheck {
  if (!dir) throw new Error("no provider schemas: see schemaCheckAvailable()");
  const scratch = mkdtempSync(join(tmpdir(), "coreform-schema-"));
  const file = join(scratch, "cdk.tf.json");
  writeFileSync(file, stack, { mode: 0o600 });
  const own = providers.flatMap((p) => {
    if (!OWN_SCHEMAS[p]) return [];
    const path = join(scratch, `${p}-own.json`);
    writeFileSync(path, JSON.stringify(OWN_SCHEMAS[p]));
    return [path];
  });
  const schemas = [...providers.map((p) => join(dir, "reference", "provider-schemas", SCHEMA_FILES[p])), ...own];
  const r = spawnSync(process.execPath, [join(dir, "tools", "check-tf-schema.js"), "--strict", ...schemas, "--", file], { encoding: "utf8" });
  const problems = r.stdout.split("\n").filter(Boolean).map((line) => line.replace(`${file}: `, ""));
  return { problems, code: r.status ?? -1, stderr: r.stderr };
}

/**
 * `it` when the checker and schemas are there; in CI their absence fails the suite, elsewhere the
 * test is skipped with a notice saying what is missing.
 */
export function itWithSchemas(): jest.It {
  if (sharedDir()) return it;
  const message = "the provider schemas and check-tf-schema.js (../shared beside the checkout, or COREFORM_SHARED_DIR) are absent";
  if (process.env.CI) throw new Error(`schema checks are required in CI: ${message}`);
  process.stderr.write(`\n*** SKIPPING provider schema checks: ${message} ***\n\n`);
  return it.skip;
}

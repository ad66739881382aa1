// Where Terraform keeps an environment's state. The state holds every node's user data, TLS keys
// included, so it is never left in a default place: a bucket or container of the user's (S3 encrypted
// on request, GCS and Azure Storage always encrypted at rest, all three locked), or a local file that
// sits with the environment's secrets (`.coreform/<env>/`, 0700, git-ignored) unless the spec names
// another. Backend settings: developer.hashicorp.com/terraform/language/backend/{s3,gcs,azurerm}.
import { join, relative, resolve } from "node:path";
import { App, AzurermBackend, GcsBackend, LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import type { StateBackend } from "../src/spec/schema";
import type { StackInput } from "./registry";

const defaultStatePath = (environment: string) => join(".coreform", environment, "terraform.tfstate");

export function stateBackend(stack: TerraformStack, input: Pick<StackInput, "plan" | "projectDir">, backend: StateBackend | undefined): void {
  const { plan } = input;
  const defaultKey = `${plan.cluster}/${plan.environment}/terraform.tfstate`;
  if (backend?.type === "s3") {
    new S3Backend(stack, { bucket: backend.bucket, key: backend.key ?? defaultKey, region: backend.region, encrypt: true });
    // Not in CDKTF 0.21's S3BackendConfig; Terraform and OpenTofu 1.10 added S3-native locking.
    if (backend.useLockfile) stack.addOverride("terraform.backend.s3.use_lockfile", true);
    return;
  }
  if (backend?.type === "gcs") {
    new GcsBackend(stack, { bucket: backend.bucket, prefix: backend.prefix ?? `${plan.cluster}/${plan.environment}` });
    return;
  }
  if (backend?.type === "azurerm") {
    new AzurermBackend(stack, {
      storageAccountName: backend.storageAccount,
      containerName: backend.container,
      key: backend.key ?? defaultKey,
      resourceGroupName: backend.resourceGroup,
      ...(backend.useAzureadAuth ? { useAzureadAuth: true } : {}),
    });
    return;
  }
  // Terraform runs in <outdir>/stacks/<stack>/: a path relative to that directory keeps the synthesized
  // stack free of this machine's absolute paths (CDKTF's default LocalBackend writes one).
  const stackDir = resolve(App.of(stack).outdir, "stacks", stack.node.id);
  const state = resolve(input.projectDir, backend?.path ?? defaultStatePath(plan.environment));
  new LocalBackend(stack, { path: relative(stackDir, state) });
}

// File modes, one place for every stage: what nodes get (Ignition, cloud-config) and what coreform
// writes on the operator's machine (rendered output, secrets, synthesized stacks).

/** Readable by all: certificates, settings, units. */
export const PUBLIC = 0o644;
/** The owner's only: private keys, tokens, and any file that holds one (user data, stacks, kubeconfigs). */
export const SECRET = 0o600;
/** Scripts a node runs. */
export const EXECUTABLE = 0o755;
/** A directory of such files. */
export const SECRET_DIR = 0o700;

// NodeConfig: what a node gets at first boot, as plain data. Both first-boot formats (Ignition and
// coreos-cloudinit's cloud-config) are built from it and parse back to it.

export interface NodeFile {
  readonly path: string;
  /** Unix permission bits, e.g. 0o644; keys are 0o600. Owner is always root. */
  readonly mode: number;
  readonly contents: string;
}

/** A file fetched at first boot from a URL (too big for user data: a system extension image, a feed). */
export interface NodeDownload {
  readonly path: string;
  readonly mode: number;
  /** https URL. */
  readonly source: string;
  /** The SHA-256 (hex) its publisher gives for it: the node refuses anything else. */
  readonly sha256?: string;
}

/** A symbolic link, e.g. enabling a unit that a system extension ships. */
export interface NodeLink {
  readonly path: string;
  readonly target: string;
}

interface DropIn {
  readonly name: string;
  readonly contents: string;
}

export interface SystemdUnit {
  readonly name: string;
  /** Full unit text; absent when only enabling, masking or adding drop-ins to a unit the OS ships. */
  readonly contents?: string;
  readonly enabled?: boolean;
  readonly masked?: boolean;
  readonly dropins?: readonly DropIn[];
}

export interface NodeConfig {
  readonly hostname: string;
  /** SSH keys of the `core` user. */
  readonly sshAuthorizedKeys: readonly string[];
  readonly files: readonly NodeFile[];
  readonly downloads: readonly NodeDownload[];
  readonly links: readonly NodeLink[];
  readonly units: readonly SystemdUnit[];
}

/** What one component adds to a node. */
export interface NodePart {
  readonly files?: readonly NodeFile[];
  readonly downloads?: readonly NodeDownload[];
  readonly links?: readonly NodeLink[];
  readonly units?: readonly SystemdUnit[];
}

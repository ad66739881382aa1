/** Every request to an etcd member gives up after this: an unreachable member never hangs a command. */
export const REQUEST_TIMEOUT_MS = 2_000;
/** The same, as `--help` states it. */
export const REQUEST_TIMEOUT_TEXT = `${REQUEST_TIMEOUT_MS / 1000} s`;

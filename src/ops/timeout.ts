/** Every request to an etcd member gives up after this: an unreachable member never hangs a command. */
export const REQUEST_TIMEOUT_MS = 2_000;
/**
 * A whole command gives up after this, whatever the members do (answer slowly, a byte at a time, one
 * after another): every request is cut to what is left of it (target.ts, `remainingMs`).
 */
export const COMMAND_TIMEOUT_MS = 10_000;
/** Both, as `--help` states them. */
export const REQUEST_TIMEOUT_TEXT = `${REQUEST_TIMEOUT_MS / 1000} s`;
export const COMMAND_TIMEOUT_TEXT = `${COMMAND_TIMEOUT_MS / 1000} s`;

/** How long `coreform roll` waits for a replaced node (boot, join, catch up, Ready) unless told otherwise. */
export const ROLL_WAIT_SECONDS = 900;

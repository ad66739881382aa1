// Exit codes: 0 ok, 1 runtime failure, 2 invalid input.
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_INVALID = 2;

/** Bad command line or bad spec: the user's input, exit 2. */
export class InputError extends Error {}

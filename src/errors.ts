// Exit codes: 0 ok, 1 runtime failure, 2 invalid input.
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_INVALID = 2;

/** Bad command line or bad spec: the user's input, exit 2. */
export class InputError extends Error {}

/** The first line of what was thrown: an error's message (one from another realm too), or the value as text. */
export const firstLine = (e: unknown): string => {
  const message = (e as { message?: unknown } | null)?.message;
  return (typeof message === "string" ? message : String(e)).split("\n")[0] as string;
};

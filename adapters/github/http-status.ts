/** The HTTP status of an Octokit RequestError (or anything with a numeric `status`); undefined otherwise. */
export function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** GitHub's `message` from an error response, else the error's own message. */
export function githubMessage(err: unknown): string {
  const data = (err as { response?: { data?: { message?: unknown } } } | null)?.response?.data;
  if (typeof data?.message === "string") return data.message;
  return String((err as Error | null)?.message ?? err);
}

import { ModelshipError } from "../../core/errors.ts";

/** How the runner programs reach the GitHub API: a base URL, a token source and fetch. */
export type GitHubHttp = {
  apiUrl: string;
  token: () => Promise<string>;
  fetch: typeof fetch;
};

export type HttpAnswer = { status: number; body: unknown };

/** Sends one JSON request with the token; answers status and parsed body, never throws on 4xx/5xx. */
export async function requestJson(
  http: Pick<GitHubHttp, "apiUrl" | "fetch">,
  method: string,
  path: string,
  opts: { authorization: string; body?: unknown },
): Promise<HttpAnswer> {
  let res: Response;
  try {
    res = await http.fetch(`${http.apiUrl.replace(/\/+$/, "")}${path}`, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: opts.authorization,
        "x-github-api-version": "2022-11-28",
        "user-agent": "modelship-gpu-runner",
        ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
  } catch (err) {
    throw new ModelshipError({
      code: "github-unreachable",
      message: `cannot reach ${http.apiUrl}: ${(err as Error).message}`,
      hint: "Check the network and GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3).",
    });
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page from a proxy): keep the text for the message.
  }
  return { status: res.status, body };
}

/** GitHub's `message` from an error body, or the status. */
export function githubMessage(answer: HttpAnswer): string {
  const b = answer.body;
  if (b && typeof b === "object" && "message" in b && typeof b.message === "string") return b.message;
  return `HTTP ${answer.status}`;
}

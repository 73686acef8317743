import { createSign } from "node:crypto";
import { ModelshipError } from "../../core/errors.ts";
import { githubMessage, requestJson, type GitHubHttp } from "./github-http.ts";

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/** A GitHub App JSON Web Token (RS256), valid ten minutes from a minute ago to allow clock skew. */
export function createAppJwt(appId: string, privateKeyPem: string, nowSeconds: number): string {
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  const payload = base64url(JSON.stringify({ iat: nowSeconds - 60, exp: nowSeconds + 540, iss: appId }));
  const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(privateKeyPem);
  return `${header}.${payload}.${base64url(signature)}`;
}

/**
 * Installation tokens for a GitHub App, minted on demand and reused until five minutes before
 * they expire: runners register without any personal access token.
 */
export function appInstallationToken(opts: {
  http: Pick<GitHubHttp, "apiUrl" | "fetch">;
  appId: string;
  privateKeyPem: string;
  installationId: number;
  now: () => Date;
}): () => Promise<string> {
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    const now = opts.now().getTime();
    if (cached && cached.expiresAt - 5 * 60_000 > now) return cached.token;
    const jwt = createAppJwt(opts.appId, opts.privateKeyPem, Math.floor(now / 1000));
    const answer = await requestJson(
      opts.http,
      "POST",
      `/app/installations/${opts.installationId}/access_tokens`,
      {
        authorization: `Bearer ${jwt}`,
      },
    );
    const body = answer.body as { token?: unknown; expires_at?: unknown } | null;
    if (answer.status !== 201 || typeof body?.token !== "string") {
      throw new ModelshipError({
        code: "app-token-failed",
        message: `minting an installation token failed: ${githubMessage(answer)} (HTTP ${answer.status})`,
        hint: "Check GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and the private key; the App needs Administration: write.",
      });
    }
    cached = { token: body.token, expiresAt: Date.parse(String(body.expires_at)) || now + 3_600_000 };
    return body.token;
  };
}

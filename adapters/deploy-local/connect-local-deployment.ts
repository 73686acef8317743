import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { z } from "zod";
import { ModelshipError } from "../../core/errors.ts";
import type { Problem } from "../../core/errors.ts";
import { adminFilePath, DEFAULT_STATE_DIR } from "./deploy-state-file.ts";
import type {
  DeploymentControl,
  DeploymentStatus,
  DeployRequest,
  RolloutResult,
  RolloutWaitOptions,
} from "./deployment-control.ts";

const AdminFileSchema = z.object({
  url: z.string().url(),
  token: z.string().min(1),
  routerUrl: z.string(),
  pid: z.number().int(),
});

export type RemoteDeployment = DeploymentControl & { url: string; adminUrl: string };

/** Drives a router another process started (`modelship up`), through its loopback admin surface. */
export async function connectLocalDeployment(
  stateDir: string = DEFAULT_STATE_DIR,
  env: string,
): Promise<RemoteDeployment> {
  const path = adminFilePath(stateDir, env);
  let admin: z.infer<typeof AdminFileSchema>;
  try {
    admin = AdminFileSchema.parse(JSON.parse(await readFile(path, "utf8")));
  } catch {
    throw notRunning(env, `no running router found for ${env} (${path} is missing or unreadable)`);
  }
  const call = async <T>(method: "GET" | "POST", route: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${admin.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw notRunning(env, `the router for ${env} does not answer at ${admin.url}`);
    }
    const json = (await res.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string; problems?: Problem[] };
    };
    if (!res.ok) {
      const e = json.error;
      throw new ModelshipError(
        e?.problems ?? {
          code: e?.code ?? "admin-error",
          message: e?.message ?? `admin surface answered ${res.status}`,
        },
      );
    }
    return json as T;
  };
  return {
    url: admin.routerUrl,
    adminUrl: admin.url,
    deploy: (req: DeployRequest, wait: RolloutWaitOptions = {}) =>
      call<RolloutResult>("POST", "/v1/deploy", { ...req, modelDir: resolve(req.modelDir), ...wait }),
    rollback: (wait: RolloutWaitOptions = {}) => call<RolloutResult>("POST", "/v1/rollback", wait),
    promote: (o: { full?: boolean } & RolloutWaitOptions = {}) =>
      call<RolloutResult>("POST", "/v1/promote", o),
    abort: (wait: RolloutWaitOptions = {}) => call<RolloutResult>("POST", "/v1/abort", wait),
    status: () => call<DeploymentStatus>("GET", "/v1/status"),
  };
}

function notRunning(env: string, message: string): ModelshipError {
  return new ModelshipError({
    code: "router-not-running",
    message,
    hint: `Start it with \`modelship up --env ${env}\` (or \`modelship run\`), then retry.`,
  });
}

import type { CommandName } from "../commands/command-registry.ts";
import type { Config, PermissionLevel } from "../config/schema.ts";

export type RepositoryPermission = "none" | PermissionLevel;

const RANK: Record<RepositoryPermission, number> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

/**
 * Reads GitHub's collaborator-permission answer: the `role_name` (admin, maintain, write, triage,
 * read) when it is one of the ranked roles, else the legacy `permission`; anything else is none.
 */
export function normalizePermission(
  answer: { permission?: unknown; role_name?: unknown } | null,
): RepositoryPermission {
  if (!answer) return "none";
  for (const value of [answer.role_name, answer.permission]) {
    if (typeof value === "string" && Object.hasOwn(RANK, value)) return value as RepositoryPermission;
  }
  return "none";
}

/** True when `actual` ranks at least as high as `required` (none < read < triage < write < maintain < admin). */
export function permissionAtLeast(actual: RepositoryPermission, required: RepositoryPermission): boolean {
  return RANK[actual] >= RANK[required];
}

export type AuthorizeResult =
  | { ok: true; required: PermissionLevel; actual: RepositoryPermission }
  | { ok: false; reason: "insufficient-permission"; required: PermissionLevel; actual: RepositoryPermission };

/** Decides whether a commenter with `actual` permission may run `command`; unknown means none. */
export function authorizeCommand(input: {
  command: CommandName;
  actual: RepositoryPermission;
  config: Config;
}): AuthorizeResult {
  const required = input.config.github.permissions[input.command];
  return permissionAtLeast(input.actual, required)
    ? { ok: true, required, actual: input.actual }
    : { ok: false, reason: "insufficient-permission", required, actual: input.actual };
}

import { normalizePermission, type RepositoryPermission } from "../../core/bot/authorize-command.ts";

/** What getPermission needs of an Octokit client. */
export type PermissionPort = {
  rest: {
    repos: {
      getCollaboratorPermissionLevel(params: { owner: string; repo: string; username: string }): Promise<{
        data: { permission: string; role_name: string };
      }>;
    };
  };
};

/**
 * A user's permission on a repository: none | read | triage | write | maintain | admin, from the
 * fine-grained `role_name` when it is a ranked role, else the legacy `permission`. Fails closed:
 * not a collaborator (404), any API error, or an unknown custom role all read as `none`.
 */
export async function getPermission(
  octokit: PermissionPort,
  opts: { owner: string; repo: string; username: string },
): Promise<RepositoryPermission> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel(opts);
    return normalizePermission(data);
  } catch {
    return "none";
  }
}

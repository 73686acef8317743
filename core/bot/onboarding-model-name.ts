/** A valid `model.name` derived from a repository name (lower-case, `[a-z0-9._-]`, at most 63). */
export function onboardingModelName(repo: string): string {
  const cleaned = repo
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 63);
  return cleaned === "" ? "model" : cleaned;
}

import { stringify } from "yaml";
import type { KubernetesObject } from "./build-manifests.ts";

/** A multi-document YAML stream `kubectl apply -f` reads, with a header line. */
export function renderManifestsYaml(objects: readonly KubernetesObject[], header: string): string {
  const docs = objects.map((o) => stringify(o.toJSON(), { lineWidth: 0 }));
  return `${header
    .split("\n")
    .map((l) => `# ${l}`.trimEnd())
    .join("\n")}\n---\n${docs.join("---\n")}`;
}

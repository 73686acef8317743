import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { k8sTemplateFiles } from "../../core/kubernetes/k8s-template-files.ts";

/** Rewrites `templates/k8s/*.yaml` from the builders: `node adapters/deploy-kubernetes/write-k8s-templates.ts`. */
export async function writeK8sTemplates(dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [name, text] of Object.entries(k8sTemplateFiles())) {
    const path = join(dir, name);
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}

if (import.meta.main) {
  const dir = join(import.meta.dirname, "..", "..", "templates", "k8s");
  for (const path of await writeK8sTemplates(dir)) process.stdout.write(`${path}\n`);
}

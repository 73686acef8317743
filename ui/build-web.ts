import { copyFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "web");

/**
 * Bundles the dashboard's browser code (Preact and uPlot, no CDN) into `outDir`: index.html,
 * app.js, app.css. esbuild is a build-time dependency: the published package ships the result.
 */
export async function buildWebAssets(outDir: string): Promise<void> {
  const { build } = await import("esbuild");
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(WEB, "main.tsx") },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    logLevel: "error",
    legalComments: "none",
  });
  const require = createRequire(import.meta.url);
  await copyFile(require.resolve("uplot/dist/uPlot.min.css"), join(outDir, "uplot.css"));
  await copyFile(join(WEB, "index.html"), join(outDir, "index.html"));
  await copyFile(join(WEB, "styles.css"), join(outDir, "styles.css"));
}

if (import.meta.main) {
  const out = process.argv[2];
  if (!out) throw new Error("usage: node ui/build-web.ts OUT_DIR");
  await buildWebAssets(out);
}

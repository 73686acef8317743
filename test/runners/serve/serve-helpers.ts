import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFixtureModels, type FixtureName } from "../../fixtures/onnx/make-models.ts";

export type Fixtures = { dir: string; files: Record<FixtureName, string>; cleanup: () => Promise<void> };

/** Writes the fixture ONNX models to a fresh temp dir. */
export async function makeFixtures(): Promise<Fixtures> {
  const dir = await mkdtemp(join(tmpdir(), "modelship-serve-"));
  const files = await writeFixtureModels(join(dir, "models"));
  return { dir, files, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type HttpAnswer = { status: number; body: unknown; text: string; contentType: string | null };

async function answer(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, contentType: res.headers.get("content-type") };
}

/** GET `url`; the body is parsed as JSON when it is JSON. */
export async function get(url: string): Promise<HttpAnswer> {
  return answer(await fetch(url));
}

/** POST a JSON value (or raw text) to `url`. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<HttpAnswer> {
  return answer(
    await fetch(url, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

/** The value of one Prometheus sample line, e.g. `name{a="b"}`, or undefined when absent. */
export function sample(metricsText: string, series: string): number | undefined {
  const line = metricsText.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

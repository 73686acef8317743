import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { extractZip } from "../../../adapters/github/extract-zip.ts";
import { writeZip, type ZipEntry } from "../../support/fake-github/write-zip.ts";

const limits = { maxBytes: 1_000_000, maxEntries: 10 };
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function fresh(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "modelship-zip-"));
  dirs.push(dir);
  return join(dir, "out");
}

/** Offset of the first central directory record (the archive writeZip makes has one per entry). */
const centralOf = (zip: Buffer) => zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));

describe("extractZip", () => {
  it("writes nested files and directories with their bytes", async () => {
    const out = await fresh();
    const zip = writeZip([
      { name: "run.json", data: '{"a":1}' },
      { name: "model/", data: "" },
      { name: "model/model.onnx", data: Buffer.from([1, 2, 3, 250]) },
    ]);
    const result = await extractZip(zip, out, limits);
    expect(result).toEqual({ ok: true, files: ["run.json", "model/model.onnx"] });
    expect(await readFile(join(out, "model/model.onnx"))).toEqual(Buffer.from([1, 2, 3, 250]));
  });

  const one: ZipEntry[] = [{ name: "a.txt", data: "hello hello hello" }];
  it.each<[string, () => Buffer, string, RegExp]>([
    [
      "a wrong CRC-32",
      () => {
        const zip = writeZip(one);
        zip.writeUInt32LE(0xdeadbeef, centralOf(zip) + 16);
        return zip;
      },
      "zip-invalid",
      /CRC-32/,
    ],
    [
      "a declared size smaller than the data",
      () => {
        const zip = writeZip(one);
        zip.writeUInt32LE(3, centralOf(zip) + 24);
        return zip;
      },
      "zip-invalid",
      /a\.txt does not inflate to its declared size/,
    ],
    [
      "bytes that are not a zip",
      () => Buffer.from("PK but not really a zip archive"),
      "zip-invalid",
      /not a readable zip/,
    ],
    ["a truncated archive", () => writeZip(one).subarray(0, 20), "zip-invalid", /not a readable zip/],
    ["an entry listed twice", () => writeZip([...one, ...one]), "zip-unsafe-entry", /appears twice/],
    [
      "a file that is also a directory",
      () =>
        writeZip([
          { name: "model", data: "x" },
          { name: "model/model.onnx", data: "y" },
        ]),
      "zip-unsafe-entry",
      /model is both a file and a directory/,
    ],
    [
      "more entries than allowed",
      () => writeZip(Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: "x" }))),
      "zip-too-large",
      /11 entries, more than 10/,
    ],
    [
      "a '.' segment",
      () => writeZip([{ name: "a/./b", data: "x" }]),
      "zip-unsafe-entry",
      /'\.' or '\.\.' segment/,
    ],
    ["a drive letter", () => writeZip([{ name: "C:/x", data: "x" }]), "zip-unsafe-entry", /drive letter/],
  ])("refuses %s", async (_label, make, reason, message) => {
    const out = await fresh();
    const result = await extractZip(make(), out, limits);
    expect(result).toMatchObject({ ok: false, problem: { reason, message: expect.stringMatching(message) } });
    // Problems in the central directory are found before anything is written; a bad CRC or size
    // shows only while inflating, and the caller extracts into a staging directory it removes.
    const checkedWhileInflating = /CRC|declared/.test(message.source);
    if (!checkedWhileInflating) expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});

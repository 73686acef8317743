import { describe, expect, it } from "vitest";
import { buildReferenceRequests, buildSmokeRequest } from "../../../core/rollout/build-smoke-request.ts";

describe("buildSmokeRequest", () => {
  it.each([
    [
      "dynamic batch of FP32 features",
      { name: "iris", inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }] },
      [{ name: "input", datatype: "FP32", shape: [1, 4], data: [0, 0, 0, 0] }],
    ],
    [
      "fixed shapes and several inputs",
      {
        name: "add",
        inputs: [
          { name: "a", datatype: "FP32", shape: [2, 2] },
          { name: "b", datatype: "INT64", shape: [2] },
        ],
      },
      [
        { name: "a", datatype: "FP32", shape: [2, 2], data: [0, 0, 0, 0] },
        { name: "b", datatype: "INT64", shape: [2], data: [0, 0] },
      ],
    ],
    [
      "BOOL and BYTES with a category list",
      {
        name: "m",
        inputs: [
          { name: "flag", datatype: "BOOL", shape: [-1] },
          {
            name: "species",
            datatype: "BYTES",
            shape: [-1],
            parameters: { categories: ["adelie", "gentoo"] },
          },
          { name: "text", datatype: "BYTES", shape: [-1] },
        ],
      },
      [
        { name: "flag", datatype: "BOOL", shape: [1], data: [false] },
        { name: "species", datatype: "BYTES", shape: [1], data: ["adelie"] },
        { name: "text", datatype: "BYTES", shape: [1], data: [""] },
      ],
    ],
  ])("%s", (_name, metadata, inputs) => {
    expect(buildSmokeRequest(metadata)).toEqual({ ok: true, request: { id: "modelship-smoke", inputs } });
  });

  it.each([
    ["not an object", "nope", /not a V2 metadata response/],
    ["no inputs", { name: "m", inputs: [] }, /inputs/],
    [
      "unknown datatype",
      { name: "m", inputs: [{ name: "x", datatype: "COMPLEX64", shape: [1] }] },
      /unknown datatype COMPLEX64/,
    ],
  ])("refuses %s", (_name, metadata, message) => {
    const r = buildSmokeRequest(metadata);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe("buildReferenceRequests", () => {
  const raw = {
    name: "penguins",
    inputs: [
      { name: "bill_length_mm", datatype: "FP32", shape: [-1] },
      { name: "island", datatype: "BYTES", shape: [-1] },
    ],
  };
  it("makes one single-row request per reference row, from real values", () => {
    const r = buildReferenceRequests(raw, {
      rows: [
        { bill_length_mm: 39.1, island: "Torgersen", species: "Adelie" },
        { bill_length_mm: null, island: "Biscoe" },
      ],
    });
    expect(r).toEqual({
      ok: true,
      requests: [
        {
          id: "modelship-smoke-0",
          inputs: [
            { name: "bill_length_mm", datatype: "FP32", shape: [1], data: [39.1] },
            { name: "island", datatype: "BYTES", shape: [1], data: ["Torgersen"] },
          ],
        },
        {
          id: "modelship-smoke-1",
          inputs: [
            { name: "bill_length_mm", datatype: "FP32", shape: [1], data: [null] },
            { name: "island", datatype: "BYTES", shape: [1], data: ["Biscoe"] },
          ],
        },
      ],
    });
  });

  it("fills a [batch, k] input from an array per row", () => {
    const r = buildReferenceRequests(
      { name: "iris", inputs: [{ name: "input", datatype: "FP32", shape: [-1, 4] }] },
      { rows: [{ input: [5.1, 3.5, 1.4, 0.2] }] },
    );
    expect(r.ok && r.requests[0]?.inputs[0]).toEqual({
      name: "input",
      datatype: "FP32",
      shape: [1, 4],
      data: [5.1, 3.5, 1.4, 0.2],
    });
  });

  it("says which row and input do not fit the model", () => {
    expect(buildReferenceRequests(raw, { rows: [{ bill_length_mm: 39.1 }] })).toEqual({
      ok: false,
      message: "reference row 0 has no 1-value BYTES entry for input 'island'",
    });
  });
});

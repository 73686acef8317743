import { describe, expect, it } from "vitest";
import {
  endToEndHeaders,
  FORWARD_DROPS,
  HOP_BY_HOP,
  SHADOW_DROPS,
} from "../../../runners/router/forward-headers.ts";

describe("endToEndHeaders", () => {
  it.each([
    {
      name: "forwards end-to-end request lines as sent",
      raw: ["Content-Type", "application/json", "Content-Length", "13", "X-Trace", "a"],
      drop: FORWARD_DROPS,
      out: ["Content-Type", "application/json", "Content-Length", "13", "X-Trace", "a"],
    },
    {
      name: "drops hop-by-hop request lines, host, the smoke headers and client-chosen routing labels",
      raw: [
        "Host",
        "router:8080",
        "Connection",
        "keep-alive",
        "Keep-Alive",
        "timeout=5",
        "Transfer-Encoding",
        "chunked",
        "x-modelship-smoke",
        "tok",
        "x-modelship-smoke-slot",
        "green",
        "X-Modelship-Variant",
        "candidate",
        "x-modelship-version",
        "9.9.9",
        "x-modelship-traffic",
        "smoke",
        "Accept",
        "*/*",
      ],
      drop: FORWARD_DROPS,
      out: ["Accept", "*/*"],
    },
    {
      name: "drops the lines a Connection header names",
      raw: ["Connection", "close, X-Private", "X-Private", "secret", "X-Public", "ok"],
      connection: "close, X-Private",
      drop: FORWARD_DROPS,
      out: ["X-Public", "ok"],
    },
    {
      name: "gives a shadow copy no length of the client's: it carries its own",
      raw: ["Content-Length", "13", "Content-Type", "application/json"],
      drop: SHADOW_DROPS,
      out: ["Content-Type", "application/json"],
    },
    {
      name: "passes a slot's answer on without hop-by-hop lines",
      raw: [
        "Connection",
        "keep-alive",
        "Keep-Alive",
        "timeout=5",
        "Content-Length",
        "2",
        "X-Modelship-Error-Code",
        "x",
      ],
      connection: "keep-alive",
      drop: HOP_BY_HOP,
      out: ["Content-Length", "2", "X-Modelship-Error-Code", "x"],
    },
  ])("$name", ({ raw, connection, drop, out }) => {
    expect(endToEndHeaders(raw, connection, drop)).toEqual(out);
  });
});

import { describe, expect, it } from "vitest";
import {
  escapeCode,
  escapeCommentText,
  escapeMarkdown,
  escapeTerminal,
  safeUrl,
} from "../../../core/report/escape-markdown.ts";

describe("escapeMarkdown", () => {
  it.each([
    { title: "plain text is kept", input: "accuracy", out: "accuracy" },
    {
      title: "raw HTML is escaped",
      input: "<img src=x onerror=alert(1)>",
      out: "&lt;img src=x onerror=alert(1)&gt;",
    },
    { title: "entities cannot be smuggled", input: "&lt;b&gt;", out: "&amp;lt;b&amp;gt;" },
    {
      title: "@-mentions are neutralised",
      input: "ping @octocat and @org/team",
      out: "ping @&#8203;octocat and @&#8203;org/team",
    },
    { title: "the hidden marker cannot be closed", input: "x --> <!-- y", out: "x --&gt; &lt;\\!-- y" },
    { title: "pipes do not split table cells", input: "a|b", out: "a\\|b" },
    { title: "newlines stay on one line", input: "a\nb\r\nc", out: "a b c" },
    { title: "backticks cannot open code spans", input: "`rm -rf`", out: "\\`rm -rf\\`" },
    {
      title: "emphasis and links are literal",
      input: "*x* _y_ [z](u) ![i](j)",
      out: "\\*x\\* \\_y\\_ \\[z\\](u) \\!\\[i\\](j)",
    },
    { title: "issue references do not cross-link", input: "fixes #12", out: "fixes \\#12" },
    {
      title: "URLs are not autolinked",
      input: "see https://evil.example",
      out: "see https:&#47;&#47;evil.example",
    },
    { title: "control and bidi characters are removed", input: "a\u001b[31mb\u202Ec", out: "a\\[31mbc" },
  ])("$title", ({ input, out }) => {
    expect(escapeMarkdown(input)).toBe(out);
  });

  it("caps long strings at the limit, ending with an ellipsis", () => {
    const out = escapeMarkdown("x".repeat(1000), { maxLength: 50 });
    expect(Array.from(out)).toHaveLength(50);
    expect(out.endsWith("…")).toBe(true);
  });
});

describe("escapeCode", () => {
  it.each([
    { input: "3f2a1c9e", out: "`3f2a1c9e`" },
    { input: "data/iris.csv", out: "`data/iris.csv`" },
    { input: "a`b", out: "a\\`b" },
    { input: "@me", out: "@&#8203;me" },
  ])("$input → $out", ({ input, out }) => {
    expect(escapeCode(input)).toBe(out);
  });
});

describe("escapeCommentText", () => {
  it.each([
    { input: "iris", out: "iris" },
    { input: "x-->y", out: "x--%3Ey" },
    { input: "x--!>y", out: "x--%21%3Ey" },
    { input: "a b", out: "a%20b" },
  ])("$input → $out", ({ input, out }) => {
    expect(escapeCommentText(input)).toBe(out);
  });
});

describe("escapeTerminal", () => {
  it("removes ANSI escape sequences' control characters and newlines", () => {
    expect(escapeTerminal("ok\u001b[2J\nnext")).toBe("ok[2J next");
  });
});

describe("safeUrl", () => {
  it.each([
    { input: "https://github.com/acme/iris/actions/runs/123", ok: true },
    { input: "http://localhost:8080/runs/1?x=1#y", ok: true },
    { input: "javascript:alert(1)", ok: false },
    { input: "https://x.example/a)b", ok: false },
    { input: "https://user@x.example/", ok: false },
    { input: 'https://x.example/"onmouseover', ok: false },
  ])("$input → $ok", ({ input, ok }) => {
    expect(safeUrl(input)).toBe(ok ? input : null);
  });
});

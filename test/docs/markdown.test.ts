import { describe, expect, it } from "vitest";
import { brokenLinks, headingSlugs, links, slug } from "./markdown.ts";

describe("slug", () => {
  it.each([
    ["Configuration: `.github/modelship.yml`", "configuration-githubmodelshipyml"],
    ["Feature transforms (`data.transforms`)", "feature-transforms-datatransforms"],
    ["`modelship run`: the whole loop on one machine", "modelship-run-the-whole-loop-on-one-machine"],
    ["Deploy gates, locks and forks", "deploy-gates-locks-and-forks"],
    ["The `modelship/train` check run", "the-modelshiptrain-check-run"],
    ["Is a runner there? `modelship runners check`", "is-a-runner-there-modelship-runners-check"],
  ])("%s → #%s, as GitHub makes it", (heading, anchor) => {
    expect(slug(heading)).toBe(anchor);
  });
});

describe("headingSlugs and links", () => {
  const text = [
    "# Page",
    "See [a](other.md#x) and `[not](a-link.md)`.",
    "```markdown",
    "## Inside a fence",
    "[nor](this.md)",
    "```",
    "## Second [link](#page)",
  ].join("\n");

  it("skip fenced code and inline code", () => {
    expect(headingSlugs(text)).toEqual(["page", "second-link"]);
    expect(links(text)).toEqual([
      { line: 2, target: "other.md#x" },
      { line: 7, target: "#page" },
    ]);
  });
});

describe("brokenLinks", () => {
  const docs = [
    { path: "README.md", text: "# Home\n\n[ok](docs/a.md#usage) [top](#home) [web](https://example.com/x)" },
    { path: "docs/a.md", text: "# A\n\n## Usage\n\n[back](../README.md#home) [code](../core/errors.ts)" },
  ];
  const files = new Set(["README.md", "docs/a.md", "core/errors.ts"]);
  const exists = (p: string) => files.has(p);

  it("accepts links to files and headings that exist, and ignores web addresses", () => {
    expect(brokenLinks(docs, exists)).toEqual([]);
  });

  it.each([
    ["[gone](docs/b.md)", "README.md:3: docs/b.md: no such file"],
    ["[gone](docs/a.md#install)", "README.md:3: docs/a.md#install: no heading makes #install"],
    ["[gone](#nowhere)", "README.md:3: #nowhere: no heading makes #nowhere"],
    ["[out](../../etc/passwd)", "README.md:3: ../../etc/passwd: no such file"],
  ])("reports %s", (link, problem) => {
    const broken = [{ path: "README.md", text: `# Home\n\n${link}` }, docs[1]!];
    expect(brokenLinks(broken, exists)).toEqual([problem]);
  });
});

// Unit tests for the Markdown preview: what renders, and that hostile text stays text.
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import { PREVIEW_LIMIT, renderMarkdown, safeHref } from "./markdown";

const html = (source: string) => renderToStaticMarkup(renderMarkdown(source));

describe("renderMarkdown", () => {
  it("renders the everyday structure of a postmortem", () => {
    const out = html("# Summary\n\nThe **API** was *slow*.\n\n- one\n- two\n\n1. first\n");
    expect(out).toContain("<h1>Summary</h1>");
    expect(out).toContain("<p>The <strong>API</strong> was <em>slow</em>.</p>");
    expect(out).toContain("<ul><li>one</li><li>two</li></ul>");
    expect(out).toContain('<ol start="1"><li>first</li></ol>');
  });

  it("renders code, quotes, tables and task lists", () => {
    const out = html(
      "```\nrm -rf <dir>\n```\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n",
    );
    expect(out).toContain("<pre><code>rm -rf &lt;dir&gt;</code></pre>");
    expect(out).toContain("<blockquote><p>quoted</p></blockquote>");
    expect(out).toContain("<th>a</th>");
    expect(out).toContain("<td>2</td>");
    expect(out).toMatch(/<li><input type="checkbox"[^>]*checked=""[^>]*\/>/);
  });

  it("shows raw HTML as text, never as markup", () => {
    const out = html('<script>alert(1)</script>\n\nhi <img src=x onerror="alert(2)"> there');
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<img");
    expect(out).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(out).toContain("&lt;img src=x onerror=&quot;alert(2)&quot;&gt;");
  });

  it("never makes a live link and drops script URLs", () => {
    const out = html("[runbook](https://example.com/rb) and [x](javascript:alert(1))");
    expect(out).not.toContain("<a");
    expect(out).not.toContain("javascript:");
    expect(out).toContain('<span class="md-link" title="https://example.com/rb">runbook</span>');
  });

  it("never loads an image", () => {
    const out = html("![graph](https://example.com/g.png)");
    expect(out).not.toContain("<img");
    expect(out).toContain("[image: graph]");
  });

  it("bounds deep nesting and very long input", () => {
    const deep = html(`${"> ".repeat(200)}bottom`);
    expect(deep).toContain("bottom");

    const long = html("a".repeat(PREVIEW_LIMIT + 10));
    expect(long).toContain("Preview shows the first 200,000 characters.");
  });
});

describe("safeHref", () => {
  it("allows web and mail links only", () => {
    expect(safeHref(" https://x.test/a ")).toBe("https://x.test/a");
    expect(safeHref("mailto:a@b.test")).toBe("mailto:a@b.test");
    expect(safeHref("JavaScript:alert(1)")).toBeNull();
    expect(safeHref("data:text/html,<b>")).toBeNull();
    expect(safeHref("file:///etc/passwd")).toBeNull();
  });
});

// Markdown to React elements through an allowlist: the preview never sets HTML from text.
//
// Postmortems hold text pasted from chats, terminals and provider fields. Rather than render
// Markdown to an HTML string and then clean it, the parser's tokens become React elements one
// by one: a token type not on the list, and any raw HTML, shows as plain text. Links are shown,
// not followed (the window must not navigate away), and images are never fetched.
import { createElement, Fragment, type ReactNode } from "react";
import { Lexer, type Token, type Tokens } from "marked";

/** Longer input is previewed only up to here, so a pasted log cannot stall typing. */
export const PREVIEW_LIMIT = 200_000;

/** Lists and quotes nested deeper than this are flattened to text. */
const MAX_DEPTH = 16;

/** The Markdown source as React elements, safe to put anywhere in the window. */
export function renderMarkdown(source: string): ReactNode {
  const text = source.length > PREVIEW_LIMIT ? source.slice(0, PREVIEW_LIMIT) : source;
  const tokens = new Lexer({ gfm: true }).lex(text);
  const body = blocks(tokens, 0);
  if (text.length === source.length) return body;

  const note = el(
    "p",
    { className: "md-truncated" },
    "Preview shows the first 200,000 characters.",
  );
  return el(Fragment, null, body, note);
}

/** Whether a link target may be shown as a link (and later opened outside the window). */
export function safeHref(href: string): string | null {
  const trimmed = href.trim();
  return /^(https?:|mailto:)/i.test(trimmed) ? trimmed : null;
}

function blocks(tokens: Token[], depth: number): ReactNode[] {
  return tokens.map((token, i) => block(token, depth, i));
}

function block(token: Token, depth: number, key: number): ReactNode {
  if (depth > MAX_DEPTH) return el("p", { key }, token.raw);

  switch (token.type) {
    case "heading": {
      const t = token as Tokens.Heading;
      return el(`h${Math.min(Math.max(t.depth, 1), 6)}`, { key }, inline(t.tokens, depth));
    }
    case "paragraph":
      return el("p", { key }, inline((token as Tokens.Paragraph).tokens, depth));
    case "text": {
      const t = token as Tokens.Text;
      return el("p", { key }, t.tokens ? inline(t.tokens, depth) : t.text);
    }
    case "code":
      return el("pre", { key }, el("code", null, (token as Tokens.Code).text));
    case "blockquote":
      return el("blockquote", { key }, blocks((token as Tokens.Blockquote).tokens, depth + 1));
    case "list":
      return list(token as Tokens.List, depth, key);
    case "table":
      return table(token as Tokens.Table, depth, key);
    case "hr":
      return el("hr", { key });
    case "space":
    case "def":
      return null;
    default:
      // Raw HTML and anything this list does not know: the source, as text.
      return el("p", { key, className: "md-raw" }, token.raw);
  }
}

function list(token: Tokens.List, depth: number, key: number): ReactNode {
  const items = token.items.map((item, i) => {
    const box = item.task
      ? el("input", {
          type: "checkbox",
          checked: item.checked ?? false,
          readOnly: true,
          disabled: true,
        })
      : null;
    // A tight list item's text comes as a "text" block; show it inline, not as a paragraph.
    const content = item.tokens.map((t, j) =>
      t.type === "text" && !token.loose
        ? textInline(t as Tokens.Text, depth, j)
        : block(t, depth + 1, j),
    );
    return el("li", { key: i }, box, ...content);
  });
  const start = token.ordered && typeof token.start === "number" ? token.start : undefined;
  return el(token.ordered ? "ol" : "ul", { key, start }, ...items);
}

function textInline(token: Tokens.Text, depth: number, key: number): ReactNode {
  return el(Fragment, { key }, token.tokens ? inline(token.tokens, depth) : token.text);
}

function table(token: Tokens.Table, depth: number, key: number): ReactNode {
  const cell = (tag: string, c: Tokens.TableCell, i: number) =>
    el(tag, { key: i }, inline(c.tokens, depth));
  const head = el("tr", null, ...token.header.map((c, i) => cell("th", c, i)));
  const rows = token.rows.map((row, r) =>
    el("tr", { key: r }, ...row.map((c, i) => cell("td", c, i))),
  );
  return el("table", { key }, el("thead", null, head), el("tbody", null, ...rows));
}

function inline(tokens: Token[] | undefined, depth: number): ReactNode[] {
  return (tokens ?? []).map((token, i) => span(token, depth, i));
}

function span(token: Token, depth: number, key: number): ReactNode {
  if (depth > MAX_DEPTH) return token.raw;

  switch (token.type) {
    case "text":
    case "escape": {
      const t = token as Tokens.Text;
      return t.tokens ? el(Fragment, { key }, inline(t.tokens, depth + 1)) : t.text;
    }
    case "strong":
      return el("strong", { key }, inline((token as Tokens.Strong).tokens, depth + 1));
    case "em":
      return el("em", { key }, inline((token as Tokens.Em).tokens, depth + 1));
    case "del":
      return el("del", { key }, inline((token as Tokens.Del).tokens, depth + 1));
    case "codespan":
      return el("code", { key }, (token as Tokens.Codespan).text);
    case "br":
      return el("br", { key });
    case "link":
      return link(token as Tokens.Link, depth, key);
    case "image": {
      const t = token as Tokens.Image;
      return el("span", { key, className: "md-image" }, `[image: ${t.text || t.href}]`);
    }
    default:
      return el(Fragment, { key }, token.raw);
  }
}

/** A link shows its text and where it points; it is never a live navigation in the window. */
function link(token: Tokens.Link, depth: number, key: number): ReactNode {
  const href = safeHref(token.href);
  const text = inline(token.tokens, depth + 1);
  if (!href) return el(Fragment, { key }, text);
  return el("span", { key, className: "md-link", title: href }, text);
}

// createElement with the loose typing the token walk needs.
function el(
  type: string | typeof Fragment,
  props: Record<string, unknown> | null,
  ...children: ReactNode[]
) {
  return createElement(type, props, ...children);
}

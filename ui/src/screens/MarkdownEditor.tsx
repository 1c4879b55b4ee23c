// A Markdown editor (CodeMirror 6) beside its live, sanitized preview.
import { markdown } from "@codemirror/lang-markdown";
import { EditorView, basicSetup } from "codemirror";
import { useDeferredValue, useEffect, useRef, useState } from "react";

import { renderMarkdown } from "../markdown";

/** The app's look inside the editor's shadow root, where the page's stylesheet cannot reach. */
const EDITOR_THEME = EditorView.theme({
  "&": {
    height: "100%",
    minHeight: "320px",
    border: "1px solid #dfe3e8",
    borderRadius: "4px",
    backgroundColor: "#ffffff",
    fontSize: "14px",
  },
  ".cm-scroller": { fontFamily: "ui-monospace, monospace" },
});

export function MarkdownEditor({
  initial,
  onChange,
  readOnly = false,
  label,
}: {
  /** The text when the editor opens; later changes to this prop are ignored on purpose. */
  initial: string;
  onChange: (text: string) => void;
  readOnly?: boolean;
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [text, setText] = useState(initial);
  // The preview may lag a keystroke behind on a long document; typing never waits for it.
  const preview = useDeferredValue(text);
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    if (!host.current) return;

    // CodeMirror styles itself at run time. In the document that would be a <style> element,
    // which the window's CSP (style-src 'self') rightly refuses; inside a shadow root it uses
    // a constructed stylesheet instead, so the CSP stays strict and the editor is styled.
    const shadow = host.current.shadowRoot ?? host.current.attachShadow({ mode: "open" });
    const parent = document.createElement("div");
    shadow.replaceChildren(parent);
    const view = new EditorView({
      doc: initial,
      root: shadow,
      parent,
      extensions: [
        EDITOR_THEME,
        basicSetup,
        markdown(),
        EditorView.lineWrapping,
        EditorView.editable.of(!readOnly),
        EditorView.contentAttributes.of({ "aria-label": label, "data-testid": "md-input" }),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          const next = update.state.doc.toString();
          setText(next);
          changed.current(next);
        }),
      ],
    });
    return () => view.destroy();
    // The editor owns its text once open; re-creating it would lose the cursor and history.
  }, []);

  return (
    <div className="md-editor">
      <div className="md-source" ref={host} data-testid="md-source" />
      <div className="md-preview" data-testid="md-preview" aria-label={`${label} preview`}>
        {renderMarkdown(preview)}
      </div>
    </div>
  );
}

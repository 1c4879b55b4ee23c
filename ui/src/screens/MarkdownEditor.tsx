// A Markdown editor (CodeMirror 6) beside its live, sanitized preview.
import { markdown } from "@codemirror/lang-markdown";
import { EditorView, basicSetup } from "codemirror";
import { useDeferredValue, useEffect, useRef, useState } from "react";

import { renderMarkdown } from "../markdown";

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

    const view = new EditorView({
      doc: initial,
      parent: host.current,
      extensions: [
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
      <div className="md-source" ref={host} />
      <div className="md-preview" data-testid="md-preview" aria-label={`${label} preview`}>
        {renderMarkdown(preview)}
      </div>
    </div>
  );
}

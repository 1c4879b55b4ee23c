// A button that copies a text to the clipboard and says so for two seconds.
import { useState } from "react";

import { copyToClipboard } from "../components";

export function CopyButton({
  text,
  label = "Copy",
  testId,
}: {
  text: string;
  label?: string;
  testId?: string;
}) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    setCopied(await copyToClipboard(text));
    window.setTimeout(() => setCopied(null), 2000);
  };
  const shown = copied === null ? label : copied ? "Copied" : "Could not copy";
  return (
    <button type="button" onClick={() => void copy()} data-testid={testId}>
      {shown}
    </button>
  );
}

// A button that copies a text to the clipboard and says so for two seconds.
import { useState } from "react";

/** Copies through the async clipboard API, falling back to a selected textarea. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

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
    setCopied(await copyText(text));
    window.setTimeout(() => setCopied(null), 2000);
  };
  const shown = copied === null ? label : copied ? "Copied" : "Could not copy";
  return (
    <button type="button" onClick={() => void copy()} data-testid={testId}>
      {shown}
    </button>
  );
}

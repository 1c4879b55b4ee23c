// The Updates card's logic, kept apart from React so it is tested without a window: progress
// as a share and a sentence, and what to tell a person for each update error code.
import type { CommandError } from "./bindings/CommandError";
import type { UpdateProgress } from "./bindings/UpdateProgress";

/** The share downloaded, 0–100, or null while the size is unknown. */
export function progressPercent(progress: UpdateProgress | null): number | null {
  if (!progress || progress.total === null || progress.total <= 0) return null;
  const share = (progress.downloaded / progress.total) * 100;
  return Math.min(100, Math.max(0, Math.round(share)));
}

/** "1.2 MB of 3.4 MB", or only what arrived so far when the server gave no size. */
export function progressLabel(progress: UpdateProgress | null): string {
  if (!progress) return "Starting the download…";
  const done = megabytes(progress.downloaded);
  if (progress.total === null) return `${done} downloaded`;
  return `${done} of ${megabytes(progress.total)}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** A title and what to do, per code; the shell's own message is shown beneath. */
export function updateErrorText(error: CommandError): { title: string; advice: string } {
  switch (error.code) {
    case "update_signature":
      return {
        title: "The update was refused: its signature does not match",
        advice:
          "The download was damaged or tampered with, so it was thrown away and nothing " +
          "was installed. Tocsin keeps running as it is. Try again later; if it keeps " +
          "happening, tell the Tocsin maintainers.",
      };
    case "update_offline":
      return {
        title: "The update server cannot be reached",
        advice: "Check the network connection, then check again.",
      };
    case "update_manifest":
      return {
        title: "The update server sent something Tocsin cannot use",
        advice: "Nothing was downloaded. Try again later or choose the other channel.",
      };
    case "update_none":
      return { title: "Nothing to do yet", advice: "Check for updates first." };
    case "update_install":
      return {
        title: "The update could not be installed",
        advice: "Tocsin keeps running as it is. Try again, or install the package by hand.",
      };
    default:
      return { title: "The update failed", advice: "Try again later." };
  }
}

// Unit tests for the Updates card's logic: progress shares and labels, and error texts.
import { describe, expect, it } from "vitest";

import { progressLabel, progressPercent, updateErrorText } from "./updates";

describe("update progress", () => {
  it("is a share of the announced size, clamped to 0–100", () => {
    expect(progressPercent({ downloaded: 50, total: 200 })).toBe(25);
    expect(progressPercent({ downloaded: 300, total: 200 })).toBe(100);
    expect(progressPercent({ downloaded: 0, total: 0 })).toBeNull();
    expect(progressPercent({ downloaded: 10, total: null })).toBeNull();
    expect(progressPercent(null)).toBeNull();
  });

  it("reads as megabytes, with or without a size", () => {
    expect(progressLabel({ downloaded: 1_200_000, total: 3_400_000 })).toBe("1.2 MB of 3.4 MB");
    expect(progressLabel({ downloaded: 500_000, total: null })).toBe("0.5 MB downloaded");
    expect(progressLabel(null)).toBe("Starting the download…");
  });
});

describe("update errors", () => {
  it("says plainly that a bad signature installed nothing", () => {
    const text = updateErrorText({ code: "update_signature", message: "minisign: bad" });
    expect(text.title).toContain("signature");
    expect(text.advice).toContain("nothing was installed");
  });

  it("has a text for every code the shell sends, and a fallback", () => {
    for (const code of ["update_offline", "update_manifest", "update_none", "update_install"]) {
      expect(updateErrorText({ code, message: "" }).title).not.toBe("The update failed");
    }
    expect(updateErrorText({ code: "internal", message: "" }).title).toBe("The update failed");
  });
});

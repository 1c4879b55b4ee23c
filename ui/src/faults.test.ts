// The local-fault banner's text: each code says what to do, and a message's bidi controls are neutralised.
import { describe, expect, it } from "vitest";

import { localFaultText } from "./faults";

const fault = (code: string, message = "m") => ({ code, message, since: "2026-12-05T00:00:00Z" });

describe("localFaultText", () => {
  it("tells a full disk to free space", () => {
    expect(localFaultText(fault("disk_full"))).toContain("free some space");
  });

  it("tells a lock to be released", () => {
    expect(localFaultText(fault("store_busy"))).toContain("lock is released");
  });

  it("names any other fault with its message, as plain text", () => {
    const text = localFaultText(fault("store", "disk I/O error\u202e"));
    expect(text).toContain("disk I/O error");
    expect(text).not.toContain("\u202e");
  });
});

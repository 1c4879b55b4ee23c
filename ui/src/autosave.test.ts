// Unit tests for the editor's autosave: pacing, ordering, failures and conflicts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Autosaver, type SaveState } from "./autosave";

type Call = {
  text: string;
  revision: number;
  resolve: (r: number) => void;
  reject: (e: unknown) => void;
};

function harness(isConflict = (e: unknown) => e === "conflict") {
  const calls: Call[] = [];
  const states: SaveState[] = [];
  const save = (text: string, revision: number) =>
    new Promise<number>((resolve, reject) => calls.push({ text, revision, resolve, reject }));
  const saver = new Autosaver(
    save,
    1,
    (s) => states.push(s),
    isConflict,
    1000,
    () => Date.now(),
  );
  return { saver, calls, states };
}

describe("Autosaver", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("saves the first change at once and then at most once a second", async () => {
    const { saver, calls } = harness();
    saver.change("a");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.text)).toEqual(["a"]);
    calls[0]!.resolve(2);
    await vi.advanceTimersByTimeAsync(0);

    for (const t of ["ab", "abc", "abcd"]) {
      saver.change(t);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.map((c) => c.text)).toEqual(["a", "abcd"]);
    expect(calls[1]!.revision).toBe(2);
  });

  it("never runs two saves at once and saves what arrived meanwhile", async () => {
    const { saver, calls, states } = harness();
    saver.change("x");
    await vi.advanceTimersByTimeAsync(0);
    saver.change("xy");
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(1);

    // More than a second has passed since the first save began: the next one starts at once.
    calls[0]!.resolve(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toBe("saving");
    expect(calls.map((c) => c.text)).toEqual(["x", "xy"]);
    calls[1]!.resolve(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toBe("saved");
    expect(saver.currentRevision).toBe(3);
  });

  it("keeps the text after a failure and retries it", async () => {
    const { saver, calls, states } = harness();
    saver.change("keep me");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.reject(new Error("disk full"));
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toBe("error");

    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.map((c) => c.text)).toEqual(["keep me", "keep me"]);
  });

  it("stops at a conflict until resumed", async () => {
    const { saver, calls, states } = harness();
    saver.change("mine");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.reject("conflict");
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toBe("conflict");

    saver.change("more");
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(1);

    saver.resume(9);
    saver.change("again");
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls[1]).toMatchObject({ text: "again", revision: 9 });
  });

  it("flush saves immediately", async () => {
    const { saver, calls } = harness();
    saver.change("a");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.resolve(2);
    await vi.advanceTimersByTimeAsync(0);
    saver.change("ab");
    void saver.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.text)).toEqual(["a", "ab"]);
  });
});

// Autosave for the postmortem editor: every change reaches SQLite within about a second.
//
// Typing calls `change` on every keystroke. A save starts at most once per interval (so a
// fast typist costs one small transaction a second, not one per key) and never two at once;
// a change made while a save is in flight is saved right after it. The revision the store
// returns is passed back on the next save, so an edit from another window is a conflict the
// person sees, not a silent overwrite.

/** What the indicator next to the editor says. */
export type SaveState = "saved" | "unsaved" | "saving" | "error" | "conflict";

/** Saves `text` over `revision`; resolves to the new revision. Rejects on failure. */
export type SaveFn = (text: string, revision: number) => Promise<number>;

/** How a failed save is told apart: a conflict stops autosaving until the person decides. */
export type IsConflict = (error: unknown) => boolean;

export const AUTOSAVE_INTERVAL_MS = 1000;

export class Autosaver {
  private pending: string | null = null;
  private inFlight = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastStart = -Infinity;
  private stateNow: SaveState = "saved";
  private lastError: unknown = null;

  constructor(
    private readonly save: SaveFn,
    private revision: number,
    private readonly onState: (state: SaveState, error: unknown) => void = () => {},
    private readonly isConflict: IsConflict = () => false,
    private readonly intervalMs = AUTOSAVE_INTERVAL_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get state(): SaveState {
    return this.stateNow;
  }

  get currentRevision(): number {
    return this.revision;
  }

  /** The editor's whole text after a change. */
  change(text: string): void {
    if (this.stateNow === "conflict") return;

    this.pending = text;
    this.set("unsaved");
    this.schedule();
  }

  /** Saves what is pending now (leaving the editor, closing the window). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.run();
  }

  /** After a conflict was resolved (reloaded), continue from this revision. */
  resume(revision: number): void {
    this.revision = revision;
    this.pending = null;
    this.set("saved");
  }

  private schedule(): void {
    if (this.timer || this.inFlight) return;

    const wait = Math.max(0, this.lastStart + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, wait);
  }

  private async run(): Promise<void> {
    if (this.inFlight || this.pending === null || this.stateNow === "conflict") return;

    const text = this.pending;
    this.pending = null;
    this.inFlight = true;
    this.lastStart = this.now();
    this.set("saving");
    try {
      this.revision = await this.save(text, this.revision);
      this.lastError = null;
    } catch (error) {
      this.lastError = error;
      // Keep the text: a later change or retry saves it; nothing typed is dropped here.
      if (this.pending === null) this.pending = text;
      this.inFlight = false;
      this.set(this.isConflict(error) ? "conflict" : "error");
      if (this.stateNow === "error") this.schedule();
      return;
    }
    this.inFlight = false;

    if (this.pending !== null) {
      this.set("unsaved");
      this.schedule();
    } else {
      this.set("saved");
    }
  }

  private set(state: SaveState): void {
    this.stateNow = state;
    this.onState(state, this.lastError);
  }
}

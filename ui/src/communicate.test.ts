// Unit tests for the Communicate panel's logic: fields, component choices, states, the page form.
import { describe, expect, it } from "vitest";

import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { StatusComponent } from "./bindings/StatusComponent";
import {
  chosenComponents,
  componentRows,
  currentStatus,
  EMPTY_PAGE,
  isUnderway,
  pageProblems,
  publicationState,
  statusRequest,
  toNewStatusPage,
  toUpdateFields,
} from "./communicate";

function component(id: string, name: string, position: number | null): StatusComponent {
  return {
    id,
    name,
    status: "operational",
    raw_status: "operational",
    group_id: null,
    position,
  };
}

const PAGE = [component("c3", "Web", null), component("c2", "API", 2), component("c1", "DB", 1)];

function entry(state: OutboxEntry["state"], extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: 7,
    account_id: 1,
    account_name: "Local",
    incident_id: 3,
    incident_title: "Checkout",
    write: {
      type: "statuspage",
      page: 1,
      draft: { name: "x", phase: "identified", impact: "major", body: "", components: [] },
    },
    state,
    attempts: 0,
    queued_at: "2026-12-04T20:00:00Z",
    next_attempt_at: null,
    finished_at: null,
    last_error: null,
    last_error_code: null,
    ...extra,
  };
}

describe("update fields", () => {
  it("sends a blank field as not said, and keeps what was typed as typed", () => {
    expect(toUpdateFields({ impact: "  ", status: "", actions: " Rolling back\n" })).toEqual({
      impact: null,
      status: null,
      actions: " Rolling back\n",
    });
  });
});

describe("component choices", () => {
  it("lists the page's components in its order, unticked ones proposing the impact's status", () => {
    const rows = componentRows(PAGE, { c2: "major_outage" }, "critical");
    expect(rows.map((r) => r.component.id)).toEqual(["c1", "c2", "c3"]);
    expect(rows.map((r) => [r.affected, r.status])).toEqual([
      [false, "major_outage"],
      [true, "major_outage"],
      [false, "major_outage"],
    ]);
    expect(componentRows(PAGE, {}, "minor")[0]!.status).toBe("degraded_performance");
  });

  it("asks for the ticked components in page order and keeps one the page no longer has", () => {
    const chosen = { c3: "partial_outage", gone: "major_outage", c1: "operational" } as const;
    expect(chosenComponents(PAGE, chosen)).toEqual([
      ["c1", "operational"],
      ["c3", "partial_outage"],
      ["gone", "major_outage"],
    ]);
    expect(chosenComponents(PAGE, {})).toEqual([]);
  });

  it("shows a status this build does not know with the server's words", () => {
    const odd = { ...component("c9", "Odd", 1), status: null, raw_status: "on_fire" };
    expect(currentStatus(odd)).toBe("unknown (on_fire)");
    expect(currentStatus(PAGE[0]!)).toBe("operational");
  });

  it("builds a request that lets the core default the name and message", () => {
    const request = statusRequest("monitoring", "minor", [["c1", "operational"]], {
      impact: "Slow",
      status: "",
      actions: "",
    });
    expect(request).toEqual({
      name: null,
      phase: "monitoring",
      impact: "minor",
      body: null,
      components: [["c1", "operational"]],
      fields: { impact: "Slow", status: null, actions: null },
    });
  });
});

describe("publication state", () => {
  it("says queued, retrying, sending, sent, or not sent with the reason", () => {
    expect(publicationState(entry("pending")).label).toBe("queued");
    expect(publicationState(entry("pending", { attempts: 1, last_error: "offline" })).label).toBe(
      "waiting to retry: offline",
    );
    expect(publicationState(entry("sending")).label).toBe("sending…");
    expect(publicationState(entry("done"))).toEqual({ label: "sent", failed: false });
    expect(publicationState(entry("failed", { last_error: "key rejected" }))).toEqual({
      label: "not sent: key rejected",
      failed: true,
    });
    expect(publicationState(entry("conflict")).label).toBe("not sent: no reason given");
  });

  it("keeps following only what may still change", () => {
    expect(
      ["pending", "sending", "done", "failed"].map((s) => isUnderway(entry(s as never))),
    ).toEqual([true, true, false, false]);
  });
});

describe("the status page form", () => {
  it("names every missing field", () => {
    expect(pageProblems(EMPTY_PAGE)).toHaveLength(4);
  });

  it("refuses a URL that is not http(s) and a page id that is not an id", () => {
    const input = { name: "acme", apiUrl: "ftp://x/v1", pageId: "../admin", key: "k" };
    expect(pageProblems(input)).toEqual([
      "The API URL must start with http(s)://.",
      "A page id has only letters, digits, '-' and '_'.",
    ]);
  });

  it("accepts a complete form and sends the key to the keychain, not in the page", () => {
    const input = {
      name: " acme ",
      apiUrl: "http://127.0.0.1:8080/v1",
      pageId: "pg1",
      key: "secret",
    };
    expect(pageProblems(input)).toEqual([]);
    const page = toNewStatusPage(input);
    expect(page).toEqual({
      name: "acme",
      api_url: "http://127.0.0.1:8080/v1",
      page_id: "pg1",
      key: { kind: "keychain" },
    });
    expect(JSON.stringify(page)).not.toContain("secret");
  });
});

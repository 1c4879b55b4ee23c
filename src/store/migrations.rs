//! Versioned schema migrations, applied in order inside one transaction each when the store opens.
//!
//! Append new migrations; never edit one that has shipped. `PRAGMA user_version` records how
//! many have been applied.

/// The schema, one entry per version.
pub const MIGRATIONS: &[&str] = &[
    // 1: accounts, the cached provider data, sync state and the page ledger.
    r#"
    CREATE TABLE accounts (
        -- AUTOINCREMENT: an account removed and added again must not reuse its id, or a
        -- running engine would mistake it for the old one.
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        api_url     TEXT,
        token_kind  TEXT NOT NULL,   -- none | keychain | env; never the token itself
        token_env   TEXT,
        email       TEXT,
        user_id     TEXT,
        created_at  TEXT NOT NULL
    );

    CREATE TABLE users (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_id TEXT NOT NULL,
        name        TEXT NOT NULL,
        email       TEXT,
        PRIMARY KEY (account_id, provider_id)
    );

    CREATE TABLE services (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_id TEXT NOT NULL,
        name        TEXT NOT NULL,
        PRIMARY KEY (account_id, provider_id)
    );

    CREATE TABLE priorities (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_id TEXT NOT NULL,
        name        TEXT NOT NULL,
        PRIMARY KEY (account_id, provider_id)
    );

    CREATE TABLE escalation_policies (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_id TEXT NOT NULL,
        name        TEXT NOT NULL,
        num_loops   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, provider_id)
    );

    CREATE TABLE escalation_rules (
        account_id     INTEGER NOT NULL,
        policy_id      TEXT NOT NULL,
        position       INTEGER NOT NULL,
        delay_minutes  INTEGER NOT NULL,
        targets        TEXT NOT NULL,  -- JSON array of {id, type, name}
        PRIMARY KEY (account_id, policy_id, position),
        FOREIGN KEY (account_id, policy_id)
            REFERENCES escalation_policies(account_id, provider_id) ON DELETE CASCADE
    );

    CREATE TABLE schedules (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_id TEXT NOT NULL,
        name        TEXT NOT NULL,
        time_zone   TEXT,
        PRIMARY KEY (account_id, provider_id)
    );

    CREATE TABLE oncalls (
        account_id            INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        escalation_policy_id  TEXT NOT NULL,
        level                 INTEGER NOT NULL,
        user_id               TEXT NOT NULL,
        user_name             TEXT NOT NULL,
        user_email            TEXT,
        schedule_id           TEXT,
        schedule_name         TEXT,
        start_at              TEXT,
        end_at                TEXT
    );
    CREATE INDEX oncalls_account ON oncalls(account_id);

    CREATE TABLE incidents (
        id                    INTEGER PRIMARY KEY,
        account_id            INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        provider_id           TEXT NOT NULL,
        number                INTEGER,
        title                 TEXT NOT NULL,
        status                TEXT NOT NULL,
        raw_status            TEXT,
        urgency               TEXT NOT NULL,
        priority              TEXT,
        severity              INTEGER,
        service_id            TEXT,
        service_name          TEXT,
        escalation_policy_id  TEXT,
        assignees             TEXT NOT NULL DEFAULT '[]',  -- JSON array of Person
        my_assignment         TEXT,   -- page key when assigned to me, else NULL
        created_at            TEXT NOT NULL,
        acknowledged_at       TEXT,
        resolved_at           TEXT,
        updated_at            TEXT NOT NULL,
        html_url              TEXT,
        is_drill              INTEGER NOT NULL DEFAULT 0,
        details               TEXT NOT NULL DEFAULT '{}',
        UNIQUE (account_id, provider_id)
    );
    CREATE INDEX incidents_by_status ON incidents(status, created_at);
    CREATE INDEX incidents_by_created ON incidents(created_at);

    CREATE TABLE log_entries (
        id           INTEGER PRIMARY KEY,
        incident_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        provider_id  TEXT,
        kind         TEXT NOT NULL,
        at           TEXT NOT NULL,
        summary      TEXT NOT NULL,
        agent        TEXT,
        UNIQUE (incident_id, provider_id)
    );
    CREATE INDEX log_entries_by_incident ON log_entries(incident_id, at);

    CREATE TABLE sync_state (
        account_id            INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        state                 TEXT NOT NULL DEFAULT 'pending',
        cursor                TEXT,
        history_synced_at     TEXT,
        directory_synced_at   TEXT,   -- services, policies, schedules last read
        last_success_at       TEXT,
        last_attempt_at       TEXT,
        last_error            TEXT,
        last_error_code       TEXT,
        next_attempt_at       TEXT,
        consecutive_failures  INTEGER NOT NULL DEFAULT 0
    );

    -- One row per page: claimed before the notification is shown, marked shown after. A
    -- restart, a re-sync or a second process that finds a shown row never raises the page
    -- again; a claim left unshown (the claimer died or the notification server refused) is
    -- taken over after a grace period.
    CREATE TABLE pages (
        incident_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        page_key     TEXT NOT NULL,
        claimed_at   TEXT NOT NULL,
        shown_at     TEXT,
        PRIMARY KEY (incident_id, page_key)
    );
    "#,
    // 2: an index in the order a responder works incidents (see `Store::incidents`), so the
    // list reads its first rows off the index instead of sorting the whole cache.
    r#"
    CREATE INDEX incidents_work_order ON incidents (
        (status = 'resolved'), (status = 'acknowledged'), (urgency != 'high'), created_at DESC
    );
    "#,
    // 3: when an account's token was last replaced, so a running sync engine (in any process)
    // notices the new token and starts polling again.
    r#"
    ALTER TABLE accounts ADD COLUMN token_changed_at TEXT;
    "#,
    // 4: the outbox of writes to providers. An action is queued here in the same transaction
    // that applies it to the cache, then sent in queue order per account; a row is never
    // deleted while it may still need sending. Timeline entries made by an action point at
    // their row, so the window can say "sending" or "not sent, because …".
    r#"
    CREATE TABLE outbox (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        incident_id      INTEGER REFERENCES incidents(id) ON DELETE CASCADE,
        write            TEXT NOT NULL,   -- JSON of model::Write
        -- Sent to the provider where it can deduplicate (PagerDuty's incident_key) and
        -- written into what Tocsin creates (a silence's comment), so a resend after a crash
        -- can find the first send.
        idempotency_key  TEXT NOT NULL UNIQUE,
        author           TEXT NOT NULL,
        state            TEXT NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        queued_at        TEXT NOT NULL,
        next_attempt_at  TEXT,
        claimed_at       TEXT,
        claimed_by       INTEGER,         -- process id of the sender
        finished_at      TEXT,
        last_error       TEXT,
        last_error_code  TEXT,
        result           TEXT             -- provider id of what the write created, if any
    );
    CREATE INDEX outbox_unfinished ON outbox(account_id, id) WHERE state IN ('pending', 'sending');

    ALTER TABLE log_entries ADD COLUMN outbox_id INTEGER REFERENCES outbox(id) ON DELETE SET NULL;
    "#,
    // 5: the incident commander's cockpit: severity targets and checklists a person edited (the
    // shipped defaults live in code), per-account severity mappings, and per incident the
    // copied checklist, roles, timers and the decision log. Tocsin's own data, never sent to a
    // provider; every cockpit event is also a `cockpit_*` row in log_entries.
    r#"
    CREATE TABLE severities (
        level                 INTEGER PRIMARY KEY CHECK (level BETWEEN 1 AND 4),
        meaning               TEXT NOT NULL,
        ack_minutes           INTEGER NOT NULL,
        first_update_minutes  INTEGER NOT NULL,
        update_every_minutes  INTEGER NOT NULL,
        updated_at            TEXT NOT NULL
    );

    CREATE TABLE severity_mappings (
        account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 4),
        urgency     TEXT NOT NULL,
        priority    TEXT,
        PRIMARY KEY (account_id, level)
    );

    CREATE TABLE checklists (
        level       INTEGER PRIMARY KEY CHECK (level BETWEEN 1 AND 4),
        checklist   TEXT NOT NULL,   -- JSON of a validated cockpit::Checklist
        updated_at  TEXT NOT NULL
    );

    CREATE TABLE cockpits (
        incident_id      INTEGER PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
        severity         INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
        checklist_title  TEXT NOT NULL,
        started_at       TEXT NOT NULL,
        started_by       TEXT NOT NULL
    );

    CREATE TABLE cockpit_items (
        incident_id  INTEGER NOT NULL REFERENCES cockpits(incident_id) ON DELETE CASCADE,
        position     INTEGER NOT NULL,
        text         TEXT NOT NULL,
        role         TEXT,
        due_minutes  INTEGER,
        done_at      TEXT,
        done_by      TEXT,
        PRIMARY KEY (incident_id, position)
    );

    -- Who holds a role now; the history is on the timeline.
    CREATE TABLE cockpit_roles (
        incident_id  INTEGER NOT NULL REFERENCES cockpits(incident_id) ON DELETE CASCADE,
        role         TEXT NOT NULL,
        person       TEXT NOT NULL COLLATE NOCASE,
        assigned_at  TEXT NOT NULL,
        assigned_by  TEXT NOT NULL,
        PRIMARY KEY (incident_id, role, person)
    );
    CREATE UNIQUE INDEX cockpit_roles_single ON cockpit_roles(incident_id, role)
        WHERE role != 'expert';

    -- A timer is claimed before its notification is shown and marked fired after, like a
    -- page in the ledger; an unfired claim is taken over after a grace period.
    CREATE TABLE cockpit_timers (
        id            INTEGER PRIMARY KEY,
        incident_id   INTEGER NOT NULL REFERENCES cockpits(incident_id) ON DELETE CASCADE,
        kind          TEXT NOT NULL,   -- task | update
        label         TEXT NOT NULL,
        owner         TEXT,
        due_at        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        claimed_at    TEXT,
        fired_at      TEXT,
        cancelled_at  TEXT
    );
    CREATE INDEX cockpit_timers_pending ON cockpit_timers(due_at)
        WHERE fired_at IS NULL AND cancelled_at IS NULL;

    CREATE TABLE cockpit_notes (
        id           INTEGER PRIMARY KEY,
        incident_id  INTEGER NOT NULL REFERENCES cockpits(incident_id) ON DELETE CASCADE,
        kind         TEXT NOT NULL,   -- decision | note | update
        text         TEXT NOT NULL,
        at           TEXT NOT NULL,
        by           TEXT NOT NULL
    );
    CREATE INDEX cockpit_notes_by_incident ON cockpit_notes(incident_id, at);
    "#,
    // 6: communicating during an incident: stakeholder-update templates a person imported
    // (the shipped defaults live in code), the Statuspage pages updates are published to (where
    // the API key is kept, never the key), and explicit links from an incident to a Statuspage
    // incident. A link made by publishing is the `result` of its outbox entry instead, so it is
    // recorded in the same transaction that finishes the entry.
    r#"
    CREATE TABLE update_templates (
        audience    TEXT PRIMARY KEY,   -- internal | customers
        template    TEXT NOT NULL,      -- JSON of a validated comms::UpdateTemplate
        updated_at  TEXT NOT NULL
    );

    CREATE TABLE status_pages (
        -- AUTOINCREMENT: an outbox entry names its page by id, so a page removed and added
        -- again must not inherit the entries of the old one.
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        name                TEXT NOT NULL UNIQUE,
        api_url             TEXT NOT NULL,
        page_id             TEXT NOT NULL,
        key_kind            TEXT NOT NULL,   -- keychain | env; never the key itself
        key_env             TEXT,
        components          TEXT NOT NULL DEFAULT '[]',   -- JSON: the components last read
        components_read_at  TEXT,
        created_at          TEXT NOT NULL
    );

    CREATE TABLE status_links (
        incident_id         INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        status_page_id      INTEGER NOT NULL REFERENCES status_pages(id) ON DELETE CASCADE,
        status_incident_id  TEXT NOT NULL,
        linked_at           TEXT NOT NULL,
        linked_by           TEXT NOT NULL,
        PRIMARY KEY (incident_id, status_page_id)
    );
    "#,
    // Postmortems: drafts written after one or more incidents, their version history, their
    // action items, the language hints a person dismissed, the templates a person imported
    // (the shipped defaults live in code) and the review due date per severity, as data.
    // `revision` counts saves so an autosave from a stale window is refused, not merged.
    r#"
    CREATE TABLE postmortems (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        title            TEXT NOT NULL,
        body             TEXT NOT NULL,
        template         TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'draft',   -- draft | in_review | reviewed | closed
        severity         INTEGER CHECK (severity BETWEEN 1 AND 4),
        revision         INTEGER NOT NULL DEFAULT 1,
        review_due       TEXT,                            -- a date, YYYY-MM-DD
        last_version_at  TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL
    );

    -- An incident removed from the cache leaves the postmortem, without its link.
    CREATE TABLE postmortem_incidents (
        postmortem_id  INTEGER NOT NULL REFERENCES postmortems(id) ON DELETE CASCADE,
        incident_id    INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
        position       INTEGER NOT NULL,
        PRIMARY KEY (postmortem_id, incident_id)
    );
    CREATE INDEX postmortem_incidents_by_incident ON postmortem_incidents(incident_id);

    CREATE TABLE postmortem_versions (
        id             INTEGER PRIMARY KEY,
        postmortem_id  INTEGER NOT NULL REFERENCES postmortems(id) ON DELETE CASCADE,
        revision       INTEGER NOT NULL,
        title          TEXT NOT NULL,
        body           TEXT NOT NULL,
        status         TEXT NOT NULL,
        reason         TEXT NOT NULL,   -- created | editing | status | explicit | restore
        at             TEXT NOT NULL
    );
    CREATE INDEX postmortem_versions_by_postmortem ON postmortem_versions(postmortem_id, id);

    CREATE TABLE postmortem_actions (
        id             INTEGER PRIMARY KEY,
        postmortem_id  INTEGER NOT NULL REFERENCES postmortems(id) ON DELETE CASCADE,
        description    TEXT NOT NULL,
        owner          TEXT,
        due_on         TEXT,            -- a date, YYYY-MM-DD
        kind           TEXT,            -- mitigate | prevent | process; NULL until chosen
        tracker_url    TEXT,
        done           INTEGER NOT NULL DEFAULT 0,
        note_id        INTEGER,         -- the cockpit note a follow-up came from
        created_at     TEXT NOT NULL
    );
    CREATE INDEX postmortem_actions_by_postmortem ON postmortem_actions(postmortem_id, id);

    CREATE TABLE postmortem_dismissed_hints (
        postmortem_id  INTEGER NOT NULL REFERENCES postmortems(id) ON DELETE CASCADE,
        fingerprint    TEXT NOT NULL,   -- rule id and the sentence it matched in
        dismissed_at   TEXT NOT NULL,
        PRIMARY KEY (postmortem_id, fingerprint)
    );

    CREATE TABLE postmortem_templates (
        name        TEXT PRIMARY KEY,
        template    TEXT NOT NULL,      -- JSON of a validated postmortem::Template
        updated_at  TEXT NOT NULL
    );

    CREATE TABLE postmortem_review_policy (
        severity       INTEGER PRIMARY KEY CHECK (severity BETWEEN 1 AND 4),
        days           INTEGER NOT NULL CHECK (days BETWEEN 1 AND 365),
        business_days  INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO postmortem_review_policy (severity, days, business_days)
        VALUES (1, 3, 0), (2, 5, 1), (3, 10, 1), (4, 20, 1);
    "#,
    // The paging policy: one JSON policy per account (none stored means the defaults), what
    // each claimed page became (held for quiet hours, skipped by a filter, why it paged, its
    // repeats) on its ledger row so the decision commits with the claim, local snoozes of
    // repeats, and the self-alarm raised once per sync outage.
    r#"
    CREATE TABLE paging_policies (
        account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        policy      TEXT NOT NULL,   -- JSON of a validated paging_policy::PagingPolicy
        updated_at  TEXT NOT NULL
    );

    ALTER TABLE pages ADD COLUMN outcome TEXT;        -- NULL (notify) | held | skipped
    ALTER TABLE pages ADD COLUMN reason TEXT;         -- new | escalated | reassigned
    ALTER TABLE pages ADD COLUMN summarized_at TEXT;  -- a held page told in the summary
    ALTER TABLE pages ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE pages ADD COLUMN repeated_at TEXT;
    CREATE INDEX pages_held ON pages(incident_id) WHERE outcome = 'held' AND summarized_at IS NULL;

    CREATE TABLE page_snoozes (
        incident_id  INTEGER PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
        until        TEXT NOT NULL
    );

    CREATE TABLE sync_alarms (
        account_id  INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        raised_at   TEXT NOT NULL,
        shown_at    TEXT
    );
    "#,
    // Schedules: each definition as read from the provider (time zone, layers with their
    // restrictions, overrides; JSON of a schedule::ScheduleDef) and the provider's own final
    // schedule for the window read, so schedules render offline and can be cross-checked.
    r#"
    CREATE TABLE schedule_details (
        account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        schedule_id   TEXT NOT NULL,
        definition    TEXT NOT NULL,
        window_since  TEXT NOT NULL,
        window_until  TEXT NOT NULL,
        read_at       TEXT NOT NULL,
        PRIMARY KEY (account_id, schedule_id)
    );

    CREATE TABLE schedule_final_entries (
        account_id   INTEGER NOT NULL,
        schedule_id  TEXT NOT NULL,
        start_at     TEXT NOT NULL,
        end_at       TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        user_name    TEXT NOT NULL,
        FOREIGN KEY (account_id, schedule_id)
            REFERENCES schedule_details(account_id, schedule_id) ON DELETE CASCADE
    );
    CREATE INDEX schedule_final_entries_by_schedule
        ON schedule_final_entries(account_id, schedule_id, start_at);
    "#,
    // The review due date a postmortem's reminder was shown for, so each due date reminds
    // once across restarts and processes, and a new due date reminds again.
    r#"
    ALTER TABLE postmortems ADD COLUMN review_reminded_for TEXT;
    "#,
    // Shift reminders shown, one row per shift (schedule and start), so each shift reminds
    // once across restarts and processes.
    r#"
    CREATE TABLE shift_reminders (
        account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        schedule_id  TEXT NOT NULL,
        start_at     TEXT NOT NULL,
        shown_at     TEXT NOT NULL,
        PRIMARY KEY (account_id, schedule_id, start_at)
    );
    "#,
];

//! Build script: embeds tauri.conf.json and generates one `allow-<command>` permission per app
//! command, so the capability file can grant the window exactly the commands it uses.

/// Every app command; a command missing here cannot be granted and so cannot be invoked.
const COMMANDS: &[&str] = &[
    "list_incidents",
    "get_incident",
    "list_services",
    "oncall_now",
    "account_health",
    "list_accounts",
    "add_account",
    "declare_incident",
    "start_drill",
    "sync_now",
    "pager_status",
    "replace_token",
    "act",
    "list_outbox",
    "incident_actions",
    "list_users",
    "list_priorities",
    // The incident commander's cockpit (cockpit_commands.rs).
    "list_severities",
    "set_severity",
    "severity_mapping",
    "set_severity_mapping",
    "get_checklist",
    "export_checklist",
    "import_checklist",
    "reset_checklist",
    "start_command",
    "get_cockpit",
    "set_incident_severity",
    "tick_item",
    "untick_item",
    "assign_role",
    "hand_over",
    "add_timer",
    "cancel_timer",
    "decide",
    "cockpit_note",
    "record_update",
    "list_followups",
    "export_timeline",
    "draft_update",
    "publish_update",
    "export_update_template",
    "import_update_template",
    "reset_update_template",
    "list_status_pages",
    "add_status_page",
    "remove_status_page",
    "statuspage_components",
    "status_links",
    "statuspage_preview",
    "statuspage_publish",
    "outbox_entry",
    // On call: escalation policies and schedules.
    "incident_escalation",
    "start_postmortem",
    "list_postmortems",
    "get_postmortem",
    "save_postmortem",
    "rename_postmortem",
    "postmortem_versions",
    "keep_postmortem_version",
    "restore_postmortem_version",
    "set_postmortem_status",
    "list_action_items",
    "add_action_item",
    "edit_action_item",
    "remove_action_item",
    "postmortem_hints",
    "dismiss_postmortem_hint",
    "export_postmortem",
    "publish_postmortem",
    "list_postmortem_templates",
    "export_postmortem_template",
    "import_postmortem_template",
    "reset_postmortem_template",
    "postmortem_stats",
    "save_postmortem_export",
    "print_window",
    // The paging policy (paging_commands.rs).
    "get_paging_policy",
    "set_paging_policy",
    "snooze_page",
];

fn main() {
    // The built UI is embedded into the binary at compile time; without this a changed (or
    // at the time half-written) ui/dist would leave the binary serving stale or no pages.
    println!("cargo:rerun-if-changed=../ui/dist");

    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    let attributes = tauri_build::Attributes::new().app_manifest(manifest);
    tauri_build::try_build(attributes).expect("the Tauri build step failed");
}

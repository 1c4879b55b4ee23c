//! Integration tests of the core and the CLI against real parts: a SQLite file, a real
//! Alertmanager, a private D-Bus notification server, and the PagerDuty and Statuspage fakes.

mod actions;
mod alertmanager;
mod cockpit;
mod comms;
mod crash;
mod faults;
mod outbox;
mod pagerduty;
mod paging;
mod paging_policy;
mod postmortem;
mod rotation;
mod schedule;
mod secrets;
mod statuspage;
mod support;

//! Bulk history for benchmarks: many incidents spread over a span, mostly resolved.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::model::{now, FakeIncident, Named, Policy, Rule, State, User};

/// Rotating problem descriptions, so seeded titles are not all identical.
const TROUBLES: [&str; 6] = [
    "High error rate on checkout",
    "Disk almost full on db-2",
    "Latency above objective on search",
    "Certificate expires soon",
    "Queue backlog growing",
    "Health check failing in eu-west",
];

/// Who the seeded incidents belong to.
struct Cast {
    service_ids: Vec<String>,
    user_ids: Vec<String>,
    policy_id: String,
}

impl State {
    /// Adds `n` incidents evenly spread over the last `span`; the newest 1% (at least two)
    /// stay open, alternately triggered and acknowledged.
    pub fn seed_incidents(&mut self, n: usize, span: TimeDelta) {
        if n == 0 {
            return;
        }
        let cast = self.seed_cast();
        self.remember_priority("PSEEDP1", "P1");
        self.incidents.reserve(n);
        self.log.reserve(n * 3);

        let end = now();
        let open_from = n - (n / 100).max(2).min(n);
        for i in 0..n {
            let created_at = spread(end - span, span, i, n);
            let status = match i {
                i if i < open_from => "resolved",
                i if i % 2 == 0 => "triggered",
                _ => "acknowledged",
            };
            self.seed_one(i, &cast, status, created_at, end);
        }
    }

    fn seed_one(
        &mut self,
        i: usize,
        cast: &Cast,
        status: &str,
        at: DateTime<Utc>,
        end: DateTime<Utc>,
    ) {
        let ack_at = (at + TimeDelta::minutes(2)).min(end);
        let resolved_at = (at + TimeDelta::minutes(20)).min(end);
        let user = cast.user_ids[i % cast.user_ids.len()].clone();
        self.last_number += 1;
        let incident = FakeIncident {
            id: self.fresh_id('P'),
            number: self.last_number,
            title: format!("{} ({})", TROUBLES[i % TROUBLES.len()], i + 1),
            status: status.to_owned(),
            urgency: if i % 4 == 3 { "low" } else { "high" }.to_owned(),
            service_id: cast.service_ids[i % cast.service_ids.len()].clone(),
            assignee_ids: vec![user.clone()],
            escalation_policy_id: cast.policy_id.clone(),
            escalation_level: 1,
            created_at: at,
            updated_at: if status == "resolved" {
                resolved_at
            } else {
                at
            },
            last_status_change_at: match status {
                "resolved" => resolved_at,
                "acknowledged" => ack_at,
                _ => at,
            },
            resolved_at: (status == "resolved").then_some(resolved_at),
            priority: i
                .is_multiple_of(10)
                .then(|| ("PSEEDP1".to_owned(), "P1".to_owned())),
            // Some real incidents have no key at all; keep a few of those in every seed.
            incident_key: (!i.is_multiple_of(7)).then(|| format!("seed-{}", i + 1)),
            acknowledgements: if status == "acknowledged" {
                vec![(user, ack_at)]
            } else {
                vec![]
            },
        };

        self.push_log("trigger_log_entry", &incident, at);
        if status != "triggered" {
            self.push_log("acknowledge_log_entry", &incident, ack_at);
        }
        if status == "resolved" {
            self.push_log("resolve_log_entry", &incident, resolved_at);
        }
        self.put_incident(incident);
    }

    /// Uses the services, users and first policy already there, inventing any that are missing.
    fn seed_cast(&mut self) -> Cast {
        if self.services.is_empty() {
            let (id, name) = ("PSEEDS1".to_owned(), "Seeded Service".to_owned());
            self.services.push(Named { id, name });
        }
        if self.users.is_empty() {
            self.users.push(User {
                id: "PSEEDU1".to_owned(),
                name: "Seed Responder".to_owned(),
                email: "seed@example.com".to_owned(),
            });
        }
        if self.policies.is_empty() {
            let target_ids = vec![self.users[0].id.clone()];
            self.policies.push(Policy {
                id: "PSEEDE1".to_owned(),
                name: "Seeded Policy".to_owned(),
                rules: vec![Rule {
                    delay_minutes: 30,
                    target_ids,
                }],
            });
        }
        Cast {
            service_ids: self.services.iter().map(|s| s.id.clone()).collect(),
            user_ids: self.users.iter().map(|u| u.id.clone()).collect(),
            policy_id: self.policies[0].id.clone(),
        }
    }
}

/// The middle of the `i`-th of `n` equal slices of `span`, cut to whole seconds.
fn spread(start: DateTime<Utc>, span: TimeDelta, i: usize, n: usize) -> DateTime<Utc> {
    let offset_ms = span.num_milliseconds() as i128 * (2 * i as i128 + 1) / (2 * n as i128);
    let at = start + TimeDelta::milliseconds(offset_ms as i64);
    at.duration_trunc(TimeDelta::seconds(1)).unwrap_or(at)
}

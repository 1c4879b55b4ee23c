//! Severities SEV-1..SEV-4: what each means, its response targets, and the shipped defaults.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::Urgency;

/// The longest meaning kept, in characters.
pub const MAX_MEANING_CHARS: usize = 500;
/// The longest any response target may be: a week, in minutes.
pub const MAX_TARGET_MINUTES: u32 = 7 * 24 * 60;

/// One severity and its response targets, in minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Severity {
    /// 1..4; SEV-1 is the worst.
    pub level: u8,
    /// What an incident must be like to have this severity.
    pub meaning: String,
    /// Time from the page to an acknowledgement.
    pub ack_minutes: u32,
    /// Time from the start of the response to the first stakeholder update.
    pub first_update_minutes: u32,
    /// Time between stakeholder updates after the first.
    pub update_every_minutes: u32,
}

impl Severity {
    /// `SEV-1` and so on.
    pub fn name(&self) -> String {
        format!("SEV-{}", self.level)
    }

    /// Checks the level, the meaning and that every target is 1 minute to a week.
    pub fn validate(&self) -> Result<Severity> {
        super::level(self.level)?;
        let meaning = super::bounded(&self.meaning, "a severity's meaning", MAX_MEANING_CHARS)?;
        let targets = [
            ("minutes to acknowledge", self.ack_minutes),
            ("minutes to the first update", self.first_update_minutes),
            ("minutes between updates", self.update_every_minutes),
        ];
        for (what, minutes) in targets {
            if !(1..=MAX_TARGET_MINUTES).contains(&minutes) {
                return Err(Error::Invalid(format!(
                    "{what} must be 1 to {MAX_TARGET_MINUTES}, not {minutes}"
                )));
            }
        }
        Ok(Severity {
            meaning,
            ..self.clone()
        })
    }
}

/// The shipped severities. A person's edits are stored beside them and win.
pub fn defaults() -> Vec<Severity> {
    let sev = |level, meaning: &str, ack, first, every| Severity {
        level,
        meaning: meaning.to_string(),
        ack_minutes: ack,
        first_update_minutes: first,
        update_every_minutes: every,
    };
    vec![
        sev(
            1,
            "Critical, customer-facing: a core feature is down for many customers, data is \
             being lost, or security is breached",
            5,
            15,
            30,
        ),
        sev(
            2,
            "Major: a core feature is degraded for many customers, or down for some",
            15,
            30,
            60,
        ),
        sev(
            3,
            "Minor: a secondary feature is degraded or a few customers are affected; a \
             workaround exists",
            60,
            120,
            240,
        ),
        sev(
            4,
            "Low: no customer impact yet (internal tooling, a warning sign, cosmetic)",
            240,
            1440,
            1440,
        ),
    ]
}

/// The default provider urgency for a severity: SEV-1 and SEV-2 page as high.
pub fn default_urgency(level: u8) -> Urgency {
    if level <= 2 {
        Urgency::High
    } else {
        Urgency::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_in_order() {
        let all = defaults();
        let levels: Vec<u8> = all.iter().map(|s| s.level).collect();
        assert_eq!(levels, [1, 2, 3, 4]);
        for s in &all {
            assert_eq!(&s.validate().unwrap(), s);
        }
        assert_eq!(
            (
                all[0].ack_minutes,
                all[0].first_update_minutes,
                all[0].update_every_minutes
            ),
            (5, 15, 30)
        );
    }

    #[test]
    fn validation_names_the_bad_field() {
        let mut s = defaults()[0].clone();
        s.update_every_minutes = 0;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("minutes between updates"), "{err}");

        let mut s = defaults()[0].clone();
        s.level = 5;
        assert!(s.validate().is_err());
        s.level = 1;
        s.meaning = "  ".into();
        assert!(s.validate().is_err());
    }
}

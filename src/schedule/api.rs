//! The schedules' methods on the [`Tocsin`] facade, for the desktop shell and the CLI.
//!
//! All of them read the cache only: a schedule renders and explains offline from the
//! definition the last directory read stored.

use chrono::{DateTime, Utc};

use super::{cross_check, explain, render, CrossCheck, Explanation, Rendering};
use crate::error::Result;
use crate::store::CachedSchedule;
use crate::Tocsin;

impl Tocsin {
    /// Every cached schedule, with when its definition was last read.
    pub fn schedules(&self) -> Result<Vec<CachedSchedule>> {
        self.store.schedules()
    }

    /// A cached schedule rendered locally over `[since, until)`.
    pub fn render_schedule(
        &self,
        schedule_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Rendering> {
        let detail = self.store.schedule_detail(schedule_id)?;
        render(&detail.def, since, until)
    }

    /// Who is on call on a cached schedule at `at`, and why.
    pub fn explain_schedule(&self, schedule_id: &str, at: DateTime<Utc>) -> Result<Explanation> {
        let detail = self.store.schedule_detail(schedule_id)?;
        explain(&detail.def, at)
    }

    /// The local rendering against the provider's final schedule over the window last read.
    pub fn check_schedule(&self, schedule_id: &str) -> Result<CrossCheck> {
        let d = self.store.schedule_detail(schedule_id)?;
        let check = cross_check(&d.def, &d.provider_final, d.since, d.until);
        tracing::info!(
            schedule = schedule_id,
            disagreements = check.disagreements.len(),
            order = ?check.layer_order,
            "schedule cross-checked"
        );
        Ok(check)
    }
}

// On call, ahead and per schedule: now and next per escalation policy level, my upcoming
// shifts (and their calendar file), and each cached schedule's next weeks as a timeline with
// who is on now and why and whether PagerDuty agrees — all from the cache, so offline too.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../api";
import type { CachedSchedule } from "../bindings/CachedSchedule";
import { Empty, ErrorBox } from "../components";
import { formatRelative, formatTime, plain } from "../format";
import { useNow } from "../hooks";
import {
  checkSummary,
  disagreementText,
  explainText,
  groupOutlook,
  hasProviderRendering,
  layerOrderText,
  outlookText,
  timelineRows,
} from "../schedules";
import { ScheduleTimeline } from "./Charts";

const VIEW_DAYS = 14;

export function Schedules() {
  const schedules = useQuery({ queryKey: ["schedules"], queryFn: api.listSchedules });
  return (
    <>
      <NowAndNext />
      <MyShifts />
      <section className="card" data-testid="schedules">
        <h2>Schedules, the next {VIEW_DAYS} days</h2>
        {schedules.isError && <ErrorBox error={schedules.error} title="Could not read schedules" />}
        {schedules.data?.length === 0 && (
          <Empty>
            No schedules yet. They appear after a PagerDuty account syncs, or when you make one
            under Local rotations.
          </Empty>
        )}
        {schedules.data?.map((s) => (
          <ScheduleView key={`${s.account_id}/${s.id}`} schedule={s} />
        ))}
      </section>
    </>
  );
}

function MyShifts() {
  const shifts = useQuery({ queryKey: ["my-shifts"], queryFn: () => api.myShifts(28) });
  const [said, setSaid] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => api.saveShiftsCalendar(90),
    onSuccess: (path) => setSaid(`Saved to ${path}`),
  });
  return (
    <section className="card" data-testid="my-shifts">
      <h2>My shifts, the next four weeks</h2>
      {shifts.isError && <ErrorBox error={shifts.error} title="Could not render my shifts" />}
      {shifts.data?.length === 0 && <Empty>No shifts of yours on the cached schedules.</Empty>}
      <ul>
        {shifts.data?.map((s) => (
          <li key={`${s.schedule_id}/${s.start}`}>
            {formatTime(s.start)} → {formatTime(s.end)} · {plain(s.schedule_name)}
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => save.mutate()} data-testid="save-shifts-ics">
        Save the next 90 days as a calendar (.ics)
      </button>
      {said && <p className="hint">{said}</p>}
      {save.isError && <ErrorBox error={save.error} title="Could not save the calendar" />}
    </section>
  );
}

/**
 * Per policy and level, who is on call now and who takes over next, rendered here from the
 * cached schedules (the cards above are the provider's own answer, as last synced).
 */
function NowAndNext() {
  const now = useNow(30_000);
  const outlook = useQuery({
    queryKey: ["oncall-outlook"],
    queryFn: api.oncallOutlook,
    // A handoff may pass while the screen is open.
    refetchInterval: 60_000,
  });
  if (outlook.isError) {
    return <ErrorBox error={outlook.error} title="Could not render now and next" />;
  }
  if (!outlook.data || outlook.data.targets.length === 0) return null;
  const days = outlook.data.days;
  return (
    <section className="card" data-testid="oncall-outlook">
      <h2>Now and next, per escalation policy</h2>
      <p className="hint">
        Rendered here from the cached schedules and rotations, so it works offline; the cards above
        are the provider&apos;s own answer as last synced.
      </p>
      {groupOutlook(outlook.data.targets).map((policy) => (
        <div key={policy.key} data-testid="outlook-policy">
          <h3>{plain(policy.name)}</h3>
          <ol className="levels">
            {policy.levels.map((level) => (
              <li key={level.level}>
                <span className="level">Level {level.level}</span>{" "}
                <span className="muted">· escalates after {level.delayMinutes} min</span>
                <ul className="people">
                  {level.targets.map((t, i) => (
                    <li
                      key={i}
                      data-testid="outlook-target"
                      data-schedule-id={t.schedule_id ?? undefined}
                      data-next-at={t.next?.at}
                    >
                      <span data-testid="outlook-text">{outlookText(t, days, now)}</span>
                      {t.schedule_name && (
                        <span className="muted"> · {plain(t.schedule_name)}</span>
                      )}
                      {t.next && (
                        <span className="muted" title={formatTime(t.next.at)}>
                          {" "}
                          ({formatRelative(t.next.at, now)})
                        </span>
                      )}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        </div>
      ))}
    </section>
  );
}

/**
 * The local rendering against the provider's final schedule over the window last read. Every
 * disagreement is listed: a responder must never be shown one answer as if it were the only one.
 */
function CrossCheckView({ schedule }: { schedule: CachedSchedule }) {
  const check = useQuery({
    queryKey: ["schedule-check", schedule.id],
    queryFn: () => api.checkSchedule(schedule.id),
    enabled: hasProviderRendering(schedule),
  });
  if (!hasProviderRendering(schedule)) {
    // A local schedule, or a provider that rendered nothing: say so rather than claim agreement.
    return (
      <p className="hint" data-testid="cross-check-none">
        Nothing to compare with: no provider Nothing to compare with: no provider&apos;s rendering
        of this schedule is cached.apos;s rendering of this schedule is cached (a local rotation has
        none).
      </p>
    );
  }
  if (check.isError) {
    return <ErrorBox error={check.error} title="Could not compare with the provider" />;
  }
  if (!check.data) return null;
  const c = check.data;
  const agrees = c.render_error === null && c.disagreements.length === 0;
  const order = layerOrderText(c);
  return (
    <div
      className={agrees ? "cross-check agrees" : "cross-check disagrees"}
      data-testid="cross-check"
      data-agrees={agrees}
    >
      <p data-testid="cross-check-summary">{checkSummary(c)}</p>
      {c.disagreements.length > 0 && (
        <ul>
          {c.disagreements.map((d) => (
            <li key={d.start} data-testid="disagreement">
              {disagreementText(d)}
            </li>
          ))}
        </ul>
      )}
      {order && <p data-testid="cross-check-order">{order}</p>}
    </div>
  );
}

function ScheduleView({ schedule }: { schedule: CachedSchedule }) {
  const rendering = useQuery({
    queryKey: ["schedule", schedule.id, VIEW_DAYS],
    queryFn: () => api.renderSchedule(schedule.id, VIEW_DAYS),
    enabled: schedule.read_at !== null,
  });
  const why = useQuery({
    queryKey: ["schedule-now", schedule.id],
    queryFn: () => api.explainSchedule(schedule.id),
    enabled: schedule.read_at !== null,
  });

  return (
    <div className="schedule" data-testid="schedule" data-schedule-id={schedule.id}>
      <h3>
        {plain(schedule.name)}{" "}
        <span className="muted">· {schedule.time_zone ?? "no time zone"}</span>
      </h3>
      {schedule.read_at === null && (
        <p className="hint">Its layers could not be read with this token.</p>
      )}
      {why.data && <p data-testid="schedule-why">{explainText(why.data)}</p>}
      {(rendering.isError || why.isError) && (
        <ErrorBox error={rendering.error ?? why.error} title="This schedule does not render" />
      )}
      {schedule.read_at !== null && <CrossCheckView schedule={schedule} />}
      {rendering.data && (
        <ScheduleTimeline
          rows={timelineRows(rendering.data)}
          since={Date.parse(rendering.data.since)}
          until={Date.parse(rendering.data.until)}
        />
      )}
    </div>
  );
}

// On call, ahead and per schedule: my upcoming shifts (and their calendar file), who is on
// call in an hour, and each cached schedule's next weeks as a timeline with who is on now
// and why — all rendered locally from the cache, so it works offline.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../api";
import type { CachedSchedule } from "../bindings/CachedSchedule";
import { Empty, ErrorBox } from "../components";
import { formatTime, plain } from "../format";
import { explainText, timelineRows } from "../schedules";
import { ScheduleTimeline } from "./Charts";

const VIEW_DAYS = 14;

export function Schedules() {
  const schedules = useQuery({ queryKey: ["schedules"], queryFn: api.listSchedules });
  return (
    <>
      <MyShifts />
      <NextHour />
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

/** Per policy and level, who will be on call in an hour: the next handoff, before it comes. */
function NextHour() {
  const ahead = useQuery({ queryKey: ["oncall-ahead", 60], queryFn: () => api.oncallAhead(60) });
  if (!ahead.data || ahead.data.length === 0) return null;
  return (
    <section className="card" data-testid="oncall-next">
      <h2>On call in an hour</h2>
      <ul>
        {ahead.data.map((row, i) => (
          <li key={i}>
            {plain(row.escalation_policy_name)}, level {row.level}:{" "}
            {row.user ? plain(row.user.name) : <em>{row.note ? plain(row.note) : "nobody"}</em>}
            {row.schedule_name && <span className="muted"> · {plain(row.schedule_name)}</span>}
          </li>
        ))}
      </ul>
    </section>
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
    <div className="schedule" data-testid="schedule">
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

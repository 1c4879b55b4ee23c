// The local rotation editor: name, time zone, layers and overrides, with a live preview of
// the next 14 days that the core renders and checks exactly as a save would.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useMemo, useState } from "react";

import { api } from "../api";
import type { ScheduleDef } from "../bindings/ScheduleDef";
import type { ScheduleUser } from "../bindings/ScheduleUser";
import { ErrorBox } from "../components";
import { plain } from "../format";
import { useDebounced } from "../hooks";
import {
  everyone,
  type LayerFields,
  move,
  newLayer,
  newOverride,
  newRotation,
  type OverrideFields,
  type RotationFields,
  toDef,
  toFields,
} from "../rotationForm";
import { timelineRows } from "../schedules";
import { windowZone, zoneChoices } from "../zoneTime";
import { ScheduleTimeline } from "./Charts";
import { LayerEditor } from "./LayerEditor";

const PREVIEW_DAYS = 14;

export function RotationEditor({
  schedule,
  known,
  onDone,
}: {
  schedule: ScheduleDef | null;
  known: ScheduleUser[];
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const [fields, setFields] = useState<RotationFields>(() =>
    schedule ? toFields(schedule) : newRotation(windowZone()),
  );
  const built = useMemo(() => toDef(fields, known), [fields, known]);
  const save = useMutation({
    mutationFn: api.saveLocalSchedule,
    onSuccess: () => {
      void queryClient.invalidateQueries();
      onDone();
    },
  });

  const set = (patch: Partial<RotationFields>) => setFields((f) => ({ ...f, ...patch }));
  const setLayers = (change: (layers: LayerFields[]) => LayerFields[]) =>
    setFields((f) => ({ ...f, layers: change(f.layers) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (built.def) save.mutate(built.def);
  };

  return (
    <form className="card editor" data-testid="rotation-editor" onSubmit={submit}>
      <h2>{schedule ? `Rotation “${plain(schedule.name)}”` : "New rotation"}</h2>
      <label>
        Name{" "}
        <input
          data-testid="rotation-name"
          value={fields.name}
          onChange={(e) => set({ name: e.target.value })}
        />
      </label>
      <ZoneField value={fields.zone} onChange={(zone) => set({ zone })} />
      {/* TODO(rotation-editor): layers are keyed by position, so a name typed but not yet
          added stays with the position when a layer moves or goes. */}
      {fields.layers.map((layer, i) => (
        <LayerEditor
          key={i}
          position={i + 1}
          count={fields.layers.length}
          layer={layer}
          zone={fields.zone}
          known={known}
          onChange={(l) => setLayers((ls) => ls.map((old, j) => (j === i ? l : old)))}
          onMove={(delta) => setLayers((ls) => move(ls, i, delta))}
          onRemove={() => setLayers((ls) => ls.filter((_, j) => j !== i))}
        />
      ))}
      <p className="hint">A later layer wins over an earlier one wherever both have someone.</p>
      <button
        type="button"
        data-testid="rotation-add-layer"
        onClick={() => setLayers((ls) => [...ls, newLayer(fields.zone, ls.length + 1)])}
      >
        Add a layer
      </button>
      <OverridesEditor
        fields={fields}
        people={everyone(fields, known)}
        onChange={(overrides) => set({ overrides })}
      />
      {built.problems.length > 0 && (
        <div data-testid="rotation-problems">
          {built.problems.map((p) => (
            <p key={p} className="problem">
              {p}
            </p>
          ))}
        </div>
      )}
      <RotationPreview def={built.def} />
      <div className="editor-actions">
        <button
          type="submit"
          className="primary"
          data-testid="rotation-save"
          disabled={built.def === null || save.isPending}
        >
          Save rotation
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      {save.isError && <ErrorBox error={save.error} title="Could not save the rotation" />}
    </form>
  );
}

/** A select of the webview's IANA zones; a text field where it cannot list them. */
function ZoneField({ value, onChange }: { value: string; onChange: (zone: string) => void }) {
  const zones = useMemo(() => zoneChoices(value), [value]);
  return (
    <label>
      Time zone{" "}
      {zones ? (
        <select
          data-testid="rotation-zone"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        >
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </select>
      ) : (
        <input
          data-testid="rotation-zone"
          value={value}
          placeholder="Europe/London"
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </label>
  );
}

function OverridesEditor({
  fields,
  people,
  onChange,
}: {
  fields: RotationFields;
  people: ScheduleUser[];
  onChange: (overrides: OverrideFields[]) => void;
}) {
  const edit = (i: number, patch: Partial<OverrideFields>) =>
    onChange(fields.overrides.map((o, j) => (j === i ? { ...o, ...patch } : o)));
  return (
    <fieldset data-testid="rotation-overrides">
      <legend>Overrides</legend>
      <p className="hint">
        Someone on call instead of the layers, from and until wall-clock times in {fields.zone}.
      </p>
      {fields.overrides.map((o, i) => (
        <div key={i} className="editor-row">
          <select
            aria-label="Person"
            value={o.personId}
            onChange={(e) => edit(i, { personId: e.target.value })}
          >
            <option value="">Choose a person</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {plain(p.name || p.id)}
              </option>
            ))}
          </select>
          <label>
            from{" "}
            <input
              type="date"
              value={o.fromDate}
              onChange={(e) => edit(i, { fromDate: e.target.value })}
            />
          </label>
          <input
            type="time"
            aria-label="From time"
            value={o.fromTime}
            onChange={(e) => edit(i, { fromTime: e.target.value })}
          />
          <label>
            until{" "}
            <input
              type="date"
              value={o.untilDate}
              onChange={(e) => edit(i, { untilDate: e.target.value })}
            />
          </label>
          <input
            type="time"
            aria-label="Until time"
            value={o.untilTime}
            onChange={(e) => edit(i, { untilTime: e.target.value })}
          />
          <button
            type="button"
            onClick={() => onChange(fields.overrides.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...fields.overrides, newOverride(fields)])}>
        Add an override
      </button>
    </fieldset>
  );
}

/**
 * The next 14 days as the core renders them, asked for once typing pauses. The core checks
 * the definition as a save would, so its message is the one to show when it is refused.
 */
function RotationPreview({ def }: { def: ScheduleDef | null }) {
  const settled = useDebounced(def, 400);
  const key = JSON.stringify(settled);
  const preview = useQuery({
    queryKey: ["rotation-preview", key],
    queryFn: () => api.previewLocalSchedule(settled!, PREVIEW_DAYS),
    enabled: settled !== null,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });

  return (
    <section className="rotation-preview" data-testid="rotation-preview">
      <h3>The next {PREVIEW_DAYS} days</h3>
      {def === null && <p className="hint">The preview appears once the form is complete.</p>}
      {def !== null && preview.isError && (
        <ErrorBox error={preview.error} title="This rotation cannot be saved yet" />
      )}
      {def !== null && !preview.isError && preview.data && (
        <ScheduleTimeline
          rows={timelineRows(preview.data)}
          since={Date.parse(preview.data.since)}
          until={Date.parse(preview.data.until)}
        />
      )}
    </section>
  );
}

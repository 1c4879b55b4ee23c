// One layer of a local rotation in the editor: its first handoff on the rotation's wall
// clock, the turn length, the people in turn order, and optional restriction windows.
import { type KeyboardEvent, useState } from "react";

import type { ScheduleUser } from "../bindings/ScheduleUser";
import { plain } from "../format";
import { DAYS } from "../pagingForm";
import {
  type LayerFields,
  move,
  newWindow,
  personFor,
  type TurnUnit,
  type WindowFields,
} from "../rotationForm";

export function LayerEditor({
  position,
  count,
  layer,
  zone,
  known,
  onChange,
  onMove,
  onRemove,
}: {
  position: number;
  count: number;
  layer: LayerFields;
  zone: string;
  known: ScheduleUser[];
  onChange: (layer: LayerFields) => void;
  onMove: (delta: number) => void;
  onRemove: () => void;
}) {
  const set = (patch: Partial<LayerFields>) => onChange({ ...layer, ...patch });
  return (
    <fieldset className="layer-editor" data-testid="layer-editor">
      <legend>Layer {position}</legend>
      <label>
        Name <input value={layer.name} onChange={(e) => set({ name: e.target.value })} />
      </label>
      <div className="editor-row">
        <label>
          First handoff{" "}
          <input
            type="date"
            data-testid="layer-date"
            value={layer.date}
            onChange={(e) => set({ date: e.target.value })}
          />
        </label>
        <input
          type="time"
          aria-label="First handoff time"
          data-testid="layer-time"
          value={layer.time}
          onChange={(e) => set({ time: e.target.value })}
        />
        <span className="muted">in {zone}</span>
      </div>
      <div className="editor-row">
        <label>
          Each turn lasts{" "}
          <input
            className="narrow"
            data-testid="layer-turn-count"
            value={layer.turnCount}
            onChange={(e) => set({ turnCount: e.target.value })}
          />
        </label>
        <select
          aria-label="Turn unit"
          value={layer.turnUnit}
          onChange={(e) => set({ turnUnit: e.target.value as TurnUnit })}
        >
          <option value="hours">hours</option>
          <option value="days">days</option>
          <option value="weeks">weeks</option>
        </select>
      </div>
      <PeopleEditor
        listId={`people-${position}`}
        people={layer.people}
        known={known}
        onChange={(people) => set({ people })}
      />
      <WindowsEditor windows={layer.windows} onChange={(windows) => set({ windows })} />
      <div className="editor-actions">
        <button type="button" disabled={position === 1} onClick={() => onMove(-1)}>
          Move layer up
        </button>
        <button type="button" disabled={position === count} onClick={() => onMove(1)}>
          Move layer down
        </button>
        <button type="button" disabled={count === 1} onClick={onRemove}>
          Remove layer
        </button>
      </div>
    </fieldset>
  );
}

/** The people in turn order; a name typed is matched to someone already on a rotation. */
function PeopleEditor({
  listId,
  people,
  known,
  onChange,
}: {
  listId: string;
  people: ScheduleUser[];
  known: ScheduleUser[];
  onChange: (people: ScheduleUser[]) => void;
}) {
  const [name, setName] = useState("");
  const add = () => {
    const person = personFor(name, [...known, ...people]);
    if (person === null) return;
    if (!people.some((p) => p.id === person.id)) onChange([...people, person]);
    setName("");
  };
  const enter = (e: KeyboardEvent) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    add();
  };

  return (
    <div className="people-editor">
      <span>People, in turn order</span>
      <ol data-testid="layer-people">
        {people.map((p, i) => (
          <li key={p.id} className="editor-row" data-testid="layer-person">
            <span className="person-name">{plain(p.name || p.id)}</span>
            <span className="muted">{p.id}</span>
            <button
              type="button"
              aria-label="Move up"
              onClick={() => onChange(move(people, i, -1))}
            >
              ↑
            </button>
            <button
              type="button"
              aria-label="Move down"
              onClick={() => onChange(move(people, i, 1))}
            >
              ↓
            </button>
            <button type="button" onClick={() => onChange(people.filter((_, j) => j !== i))}>
              Remove
            </button>
          </li>
        ))}
      </ol>
      <div className="editor-row">
        <input
          aria-label="Person's name"
          data-testid="layer-person-name"
          list={listId}
          value={name}
          placeholder="Name"
          onChange={(e) => setName(e.target.value)}
          onKeyDown={enter}
        />
        <datalist id={listId}>
          {known.map((p) => (
            <option key={p.id} value={p.name} />
          ))}
        </datalist>
        <button type="button" data-testid="layer-person-add" onClick={add}>
          Add person
        </button>
      </div>
    </div>
  );
}

/** Windows the layer is limited to, each every day or every week; none means all the time. */
function WindowsEditor({
  windows,
  onChange,
}: {
  windows: WindowFields[];
  onChange: (windows: WindowFields[]) => void;
}) {
  const edit = (i: number, patch: Partial<WindowFields>) =>
    onChange(windows.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  return (
    <div className="windows-editor">
      <span>
        Only during{" "}
        <span className="muted">{windows.length === 0 ? "(all the time)" : "these windows"}</span>
      </span>
      {windows.map((w, i) => (
        <div key={i} className="editor-row">
          <select
            aria-label="Repeats"
            value={w.kind}
            onChange={(e) => edit(i, { kind: e.target.value as WindowFields["kind"] })}
          >
            <option value="daily_restriction">every day</option>
            <option value="weekly_restriction">every week</option>
          </select>
          {w.kind === "weekly_restriction" && (
            <select
              aria-label="Starting on"
              value={w.day}
              onChange={(e) => edit(i, { day: Number(e.target.value) })}
            >
              {DAYS.map((d, n) => (
                <option key={d} value={n + 1}>
                  {d}
                </option>
              ))}
            </select>
          )}
          <label>
            from{" "}
            <input
              type="time"
              value={w.start}
              onChange={(e) => edit(i, { start: e.target.value })}
            />
          </label>
          <label>
            for{" "}
            <input
              className="narrow"
              value={w.hours}
              onChange={(e) => edit(i, { hours: e.target.value })}
            />{" "}
            hours
          </label>
          <button type="button" onClick={() => onChange(windows.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...windows, newWindow()])}>
        Add a window
      </button>
    </div>
  );
}

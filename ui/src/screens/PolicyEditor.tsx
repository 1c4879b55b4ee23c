// The local escalation-policy editor: a name, how often it repeats, and levels that each
// page local rotations or people and wait a number of minutes before the next.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useMemo, useState } from "react";

import { api } from "../api";
import type { LocalOnCall } from "../bindings/LocalOnCall";
import type { PolicyDef } from "../bindings/PolicyDef";
import { ErrorBox } from "../components";
import { plain } from "../format";
import {
  type LevelFields,
  MAX_LOOPS,
  newLevel,
  newPolicy,
  type PolicyFields,
  targetChoices,
  targetKey,
  targetLabel,
  toFields,
  toPolicy,
} from "../policyForm";
import { move } from "../rotationForm";

export function PolicyEditor({
  policy,
  local,
  onDone,
}: {
  policy: PolicyDef | null;
  local: LocalOnCall;
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const [fields, setFields] = useState<PolicyFields>(() =>
    policy ? toFields(policy) : newPolicy(),
  );
  const built = useMemo(() => toPolicy(fields), [fields]);
  const save = useMutation({
    mutationFn: api.saveLocalPolicy,
    onSuccess: () => {
      void queryClient.invalidateQueries();
      onDone();
    },
  });

  const setLevels = (change: (levels: LevelFields[]) => LevelFields[]) =>
    setFields((f) => ({ ...f, levels: change(f.levels) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (built.policy) save.mutate(built.policy);
  };

  return (
    <form className="card editor" data-testid="policy-editor" onSubmit={submit}>
      <h2>{policy ? `Escalation policy “${plain(policy.name)}”` : "New escalation policy"}</h2>
      <label>
        Name{" "}
        <input
          data-testid="policy-name"
          value={fields.name}
          onChange={(e) => setFields((f) => ({ ...f, name: e.target.value }))}
        />
      </label>
      <label>
        After the last level, start again{" "}
        <select
          data-testid="policy-loops"
          value={fields.loops}
          onChange={(e) => setFields((f) => ({ ...f, loops: e.target.value }))}
        >
          {Array.from({ length: MAX_LOOPS + 1 }, (_, n) => (
            <option key={n} value={String(n)}>
              {n === 0 ? "never" : n === 1 ? "once" : `${n} times`}
            </option>
          ))}
        </select>
      </label>
      {fields.levels.map((level, i) => (
        <LevelEditor
          key={i}
          position={i + 1}
          count={fields.levels.length}
          level={level}
          local={local}
          onChange={(l) => setLevels((ls) => ls.map((old, j) => (j === i ? l : old)))}
          onMove={(delta) => setLevels((ls) => move(ls, i, delta))}
          onRemove={() => setLevels((ls) => ls.filter((_, j) => j !== i))}
        />
      ))}
      <button type="button" onClick={() => setLevels((ls) => [...ls, newLevel()])}>
        Add a level
      </button>
      {built.problems.map((p) => (
        <p key={p} className="problem">
          {p}
        </p>
      ))}
      <div className="editor-actions">
        <button
          type="submit"
          className="primary"
          data-testid="policy-save"
          disabled={built.policy === null || save.isPending}
        >
          Save escalation policy
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
      {save.isError && <ErrorBox error={save.error} title="Could not save the policy" />}
    </form>
  );
}

function LevelEditor({
  position,
  count,
  level,
  local,
  onChange,
  onMove,
  onRemove,
}: {
  position: number;
  count: number;
  level: LevelFields;
  local: LocalOnCall;
  onChange: (level: LevelFields) => void;
  onMove: (delta: number) => void;
  onRemove: () => void;
}) {
  const taken = new Set(level.targets.map(targetKey));
  const choices = targetChoices(local.schedules, local.people).filter((c) => !taken.has(c.key));
  const [choice, setChoice] = useState("");
  const picked = choices.find((c) => c.key === choice) ?? choices[0];

  return (
    <fieldset className="level-editor" data-testid="level-editor">
      <legend>Level {position}</legend>
      <ul>
        {level.targets.map((t, i) => (
          <li key={targetKey(t)} className="editor-row" data-testid="level-target">
            <span>{plain(targetLabel(t, local.schedules))}</span>
            <button
              type="button"
              onClick={() =>
                onChange({ ...level, targets: level.targets.filter((_, j) => j !== i) })
              }
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {choices.length > 0 ? (
        <div className="editor-row">
          <select
            aria-label="Page"
            data-testid="level-target-choice"
            value={picked?.key ?? ""}
            onChange={(e) => setChoice(e.target.value)}
          >
            {choices.map((c) => (
              <option key={c.key} value={c.key}>
                {plain(c.label)}
              </option>
            ))}
          </select>
          <button
            type="button"
            data-testid="level-target-add"
            onClick={() =>
              picked && onChange({ ...level, targets: [...level.targets, picked.target] })
            }
          >
            Page them
          </button>
        </div>
      ) : (
        level.targets.length === 0 && (
          <p className="hint">
            Make a rotation first: a level pages rotations and the people on them.
          </p>
        )
      )}
      <label>
        Escalate after{" "}
        <input
          className="narrow"
          data-testid="level-delay"
          value={level.delay}
          onChange={(e) => onChange({ ...level, delay: e.target.value })}
        />{" "}
        minutes without an acknowledgement
      </label>
      <div className="editor-actions">
        <button type="button" disabled={position === 1} onClick={() => onMove(-1)}>
          Move level up
        </button>
        <button type="button" disabled={position === count} onClick={() => onMove(1)}>
          Move level down
        </button>
        <button type="button" disabled={count === 1} onClick={onRemove}>
          Remove level
        </button>
      </div>
    </fieldset>
  );
}

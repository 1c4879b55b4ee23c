// Settings → Paging: per account, which pages notify, quiet hours, sounds, repeats and the
// self-alarm. High urgency always notifies at once; the form says so rather than offer it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";

import { api, type Id } from "../api";
import { ErrorBox } from "../components";
import { plain } from "../format";
import { DAYS, type PagingFields, toFields, toPolicy } from "../pagingForm";

export function PagingSettings() {
  const accounts = useQuery({ queryKey: ["accounts"], queryFn: api.listAccounts });
  const [account, setAccount] = useState<Id | null>(null);
  const chosen = account ?? accounts.data?.[0]?.id ?? null;

  return (
    <section className="card" data-testid="paging-settings">
      <h2>Paging</h2>
      <p className="hint">
        High-urgency pages assigned to you always notify at once, whatever is set here. These
        settings shape low-urgency pages, and how every page sounds and repeats.
      </p>
      <label>
        Account{" "}
        <select
          aria-label="Account"
          value={chosen ?? ""}
          onChange={(e) => setAccount(Number(e.target.value))}
        >
          {(accounts.data ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {plain(a.name)}
            </option>
          ))}
        </select>
      </label>
      {chosen !== null && <PolicyForm key={chosen} account={chosen} />}
    </section>
  );
}

function PolicyForm({ account }: { account: Id }) {
  const queryClient = useQueryClient();
  const policy = useQuery({
    queryKey: ["paging-policy", account],
    queryFn: () => api.getPagingPolicy(account),
  });
  const [fields, setFields] = useState<PagingFields | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  useEffect(() => {
    if (policy.data) setFields(toFields(policy.data));
  }, [policy.data]);
  const save = useMutation({
    mutationFn: (p: NonNullable<ReturnType<typeof toPolicy>["policy"]>) =>
      api.setPagingPolicy(account, p),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["paging-policy", account] }),
  });

  if (policy.isError)
    return <ErrorBox error={policy.error} title="Could not read the paging policy" />;
  if (!fields) return <p className="hint">Loading…</p>;

  const set = <K extends keyof PagingFields>(key: K, value: PagingFields[K]) =>
    setFields((f) => (f ? { ...f, [key]: value } : f));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const out = toPolicy(fields);
    setProblems(out.problems);
    if (out.policy) save.mutate(out.policy);
  };
  const check = (key: keyof PagingFields, label: string) => (
    <label>
      <input
        type="checkbox"
        checked={fields[key] as boolean}
        onChange={(e) => set(key, e.target.checked as never)}
      />{" "}
      {label}
    </label>
  );
  const text = (key: keyof PagingFields, label: string, placeholder = "") => (
    <label>
      {label}{" "}
      <input
        aria-label={label}
        value={fields[key] as string}
        placeholder={placeholder}
        onChange={(e) => set(key, e.target.value as never)}
      />
    </label>
  );

  return (
    <form className="paging-form" onSubmit={submit} aria-label="Paging policy">
      <fieldset>
        <legend>Low-urgency pages</legend>
        {check("notifyLow", "Notify me of low-urgency pages")}
        {check("onlyOnCall", "Only while I am on call")}
        {text("services", "Only from these services", "every service")}
        {check("onEscalation", "When one is escalated to me")}
        {check("onReassignment", "When one is reassigned to me")}
      </fieldset>
      <fieldset>
        <legend>Quiet hours</legend>
        {check("quiet", "Hold low-urgency pages during quiet hours, and summarise them after")}
        {fields.quiet && (
          <>
            {text("quietStart", "From", "22:00")}
            {text("quietEnd", "Until", "07:00")}
            {text("quietZone", "Time zone", "Europe/London")}
            <span className="days" role="group" aria-label="Days (none means every day)">
              {DAYS.map((name, i) => (
                <label key={name}>
                  <input
                    type="checkbox"
                    checked={fields.quietDays.includes(i + 1)}
                    onChange={(e) =>
                      set(
                        "quietDays",
                        e.target.checked
                          ? [...fields.quietDays, i + 1]
                          : fields.quietDays.filter((d) => d !== i + 1),
                      )
                    }
                  />
                  {name}
                </label>
              ))}
            </span>
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>Sound and repeats</legend>
        {text("soundHigh", "Sound for high urgency", "alarm-clock-elapsed")}
        {text("soundLow", "Sound for low urgency", "message-new-instant")}
        {check("repeat", "Repeat the notification until I acknowledge")}
        {fields.repeat && (
          <>
            {text("repeatMinutes", "Every (minutes)")}
            {text("repeatMax", "At most (times)", "until acknowledged")}
          </>
        )}
      </fieldset>
      <fieldset>
        <legend>When Tocsin cannot sync</legend>
        {text("selfAlarmMinutes", "Warn me after (minutes, 0 = never) while I am on call")}
      </fieldset>
      {problems.map((p) => (
        <p key={p} className="problem">
          {p}
        </p>
      ))}
      <button type="submit" className="primary" disabled={save.isPending}>
        Save paging policy
      </button>
      {save.isSuccess && <span className="hint"> Saved.</span>}
      {save.isError && <ErrorBox error={save.error} title="Could not save the paging policy" />}
    </form>
  );
}

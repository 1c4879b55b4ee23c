// Settings → Updates: the release channel, a check on request, the offered version and its
// notes (as plain text), a download with progress, then an explicit restart to install.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { onUpdateProgress, toCommandError, updateApi } from "../api";
import type { UpdateChannel } from "../bindings/UpdateChannel";
import type { UpdateOffer } from "../bindings/UpdateOffer";
import type { UpdateProgress } from "../bindings/UpdateProgress";
import { formatTime } from "../format";
import { progressLabel, progressPercent, updateErrorText } from "../updates";

export function UpdateSettings() {
  const queryClient = useQueryClient();
  const channel = useQuery({ queryKey: ["update-channel"], queryFn: updateApi.getChannel });
  const [offer, setOffer] = useState<UpdateOffer | null | undefined>(undefined);
  const [progress, setProgress] = useState<UpdateProgress | null>(null);
  const [ready, setReady] = useState(false);

  const forget = () => {
    setOffer(undefined);
    setProgress(null);
    setReady(false);
  };
  const choose = useMutation({
    mutationFn: updateApi.setChannel,
    onSuccess: (chosen) => {
      queryClient.setQueryData(["update-channel"], chosen);
      forget();
    },
  });
  const check = useMutation({
    mutationFn: updateApi.check,
    onMutate: forget,
    onSuccess: setOffer,
  });
  const download = useMutation({
    mutationFn: updateApi.download,
    onMutate: () => setProgress(null),
    onSuccess: () => setReady(true),
  });
  const install = useMutation({ mutationFn: updateApi.installAndRestart });

  useEffect(() => {
    const unlisten = onUpdateProgress(setProgress);
    return () => {
      void unlisten.then((stop) => stop());
    };
  }, []);

  const busy = check.isPending || download.isPending || install.isPending;
  const failure = choose.error ?? check.error ?? download.error ?? install.error;

  return (
    <section className="card" data-testid="update-settings">
      <h2>Updates</h2>
      <label>
        Channel{" "}
        <select
          value={channel.data ?? "stable"}
          disabled={channel.isPending || busy}
          onChange={(e) => choose.mutate(e.target.value as UpdateChannel)}
          data-testid="update-channel"
        >
          <option value="stable">Stable</option>
          <option value="beta">Beta (earlier, less tried)</option>
        </select>
      </label>
      <p className="hint">
        Tocsin only looks for updates when you ask, and installs only releases signed with the
        project&apos;s key.
      </p>
      <button
        type="button"
        onClick={() => check.mutate()}
        disabled={busy}
        data-testid="check-update"
      >
        {check.isPending ? "Checking…" : "Check for updates"}
      </button>
      {offer === null && <p data-testid="update-none">Tocsin is up to date.</p>}
      {offer && (
        <Offered
          offer={offer}
          progress={progress}
          downloading={download.isPending}
          ready={ready}
          onDownload={() => download.mutate()}
          onInstall={() => install.mutate()}
          installing={install.isPending}
        />
      )}
      {failure && <UpdateError error={failure} />}
    </section>
  );
}

interface OfferedProps {
  offer: UpdateOffer;
  progress: UpdateProgress | null;
  downloading: boolean;
  ready: boolean;
  installing: boolean;
  onDownload: () => void;
  onInstall: () => void;
}

function Offered(props: OfferedProps) {
  const { offer, progress, downloading, ready, installing } = props;
  const percent = progressPercent(progress);
  return (
    <div data-testid="update-offer">
      <p>
        Version <strong>{offer.version}</strong> is available (you have {offer.current_version})
        {offer.date && <span className="muted"> · published {formatTime(offer.date)}</span>}
      </p>
      {/* Release notes are shown as text, never as HTML. */}
      {offer.notes && (
        <pre className="update-notes" data-testid="update-notes">
          {offer.notes}
        </pre>
      )}
      {!ready && (
        <button
          type="button"
          onClick={props.onDownload}
          disabled={downloading}
          data-testid="download-update"
        >
          {downloading ? "Downloading…" : "Download"}
        </button>
      )}
      {(downloading || ready) && (
        <div data-testid="update-progress">
          <progress max={100} value={percent ?? undefined} />{" "}
          <span className="muted">{progressLabel(progress)}</span>
        </div>
      )}
      {ready && (
        <>
          <p>The download is verified. Tocsin restarts to install it.</p>
          <button
            type="button"
            onClick={props.onInstall}
            disabled={installing}
            data-testid="install-update"
          >
            {installing ? "Installing…" : "Restart to install"}
          </button>
        </>
      )}
    </div>
  );
}

function UpdateError({ error }: { error: unknown }) {
  const failure = toCommandError(error);
  const { title, advice } = updateErrorText(failure);
  return (
    <div className="error-box" role="alert" data-testid="update-error" data-code={failure.code}>
      <strong>{title}</strong>
      <p>{advice}</p>
      <p className="muted">{failure.message}</p>
    </div>
  );
}

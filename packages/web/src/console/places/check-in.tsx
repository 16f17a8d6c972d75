import { useEffect, useRef, useState } from "preact/hooks";
import { session } from "../../app/session.ts";
import type { ResultOf } from "../../client/agent-graphql.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { subscribe } from "../../client/sse.ts";
import { formatDate, t } from "../../i18n/i18n.ts";
import { Banner } from "../../ui/banner.tsx";
import { type Column, DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { TextField } from "../../ui/field.tsx";
import { Loading } from "../../ui/loading.tsx";
import { todayInParis } from "../../ui/paris-date.ts";
import { useAgentQuery, useReady, withItem } from "../live.ts";
import {
  formatTime,
  LiveState,
  PlaceHubBanner,
  releaseConnection,
  SpacePicker,
  trackConnection,
  useSpaces,
} from "./common.tsx";
import { CameraError, type CameraProblem, cameraAvailability, startScanner } from "./qr-scanner.ts";
import {
  CheckInMutation,
  CheckOutMutation,
  PlaceVisitsQuery,
  VisitHomesQuery,
  VisitRecordedSubscription,
} from "./queries.ts";
import { isShortCode, normaliseShortCode } from "./short-code.ts";

type Visit = NonNullable<ResultOf<typeof PlaceVisitsQuery>["visits"]>[number];
type VisitHome = NonNullable<ResultOf<typeof VisitHomesQuery>["visits"]>[number];

/**
 * The visitor in words: the first name they chose to show, else "member of <home place>" when
 * the home is a place of this network (a satellite sees no other space), else "network member".
 */
export function visitorName(
  visit: Pick<Visit, "disclosure" | "homeSpaceId">,
  homes: ReadonlyMap<string, string>,
): string {
  const d = visit.disclosure;
  if (d?.firstName) return d.firstName;
  const home = homes.get(visit.homeSpaceId);
  return home ? t("places.visitorOf", { home }) : t("places.visitorAnonymous");
}

function disclosed(visit: Visit): string {
  const d = visit.disclosure;
  if (!d) return t("places.nothingDisclosed");
  const parts = [d.firstName, d.email, d.phone, d.organisation].filter(Boolean);
  return parts.length ? parts.join(" · ") : t("places.nothingDisclosed");
}

function upsert(list: readonly Visit[] | null | undefined, visit: Visit): Visit[] {
  return withItem(list, visit, { first: true }).sort((a, b) =>
    b.arrivedAt.localeCompare(a.arrivedAt),
  );
}

const PROBLEM_KEYS: Record<CameraProblem, Parameters<typeof t>[0]> = {
  insecure: "places.camera.insecure",
  unsupported: "places.camera.unsupported",
  denied: "places.camera.denied",
  notFound: "places.camera.notFound",
  busy: "places.camera.busy",
  other: "places.camera.other",
};

/** The camera panel: a button opens it, a QR read calls onCode; closed on leaving the page. */
function Scanner({ onCode, disabled }: { onCode(text: string): void; disabled: boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const stopRef = useRef<(() => void) | undefined>(undefined);
  const [state, setState] = useState<"idle" | "starting" | "on">("idle");
  const [problem, setProblem] = useState<CameraProblem | undefined>(() => cameraAvailability());
  const onCodeRef = useRef(onCode);
  onCodeRef.current = onCode;

  const stop = () => {
    stopRef.current?.();
    stopRef.current = undefined;
    setState("idle");
  };
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    const hide = () => stop();
    window.addEventListener("pagehide", hide);
    return () => {
      mounted.current = false;
      window.removeEventListener("pagehide", hide);
      stopRef.current?.();
      stopRef.current = undefined;
    };
  }, []);

  const start = async () => {
    if (!video.current) return;
    setState("starting");
    setProblem(undefined);
    let read = false;
    try {
      const stopCamera = await startScanner(video.current, (text) => {
        // one pass at a time: the camera closes on a read, reopened for the next visitor
        read = true;
        stop();
        onCodeRef.current(text);
      });
      if (!mounted.current) {
        // the page was left while the camera opened: close it at once
        stopCamera();
        return;
      }
      stopRef.current = stopCamera;
      if (read) stop();
      else setState("on");
    } catch (error) {
      if (!mounted.current) return;
      setProblem(error instanceof CameraError ? error.problem : "other");
      setState("idle");
    }
  };
  const unavailable = problem === "insecure" || problem === "unsupported";

  return (
    <section class="card scanner">
      <h2 id="scan-title">{t("places.scanTitle")}</h2>
      {problem ? (
        <p class="camera-problem" role="alert">
          {t(PROBLEM_KEYS[problem])}
        </p>
      ) : null}
      <div class={`scanner-view${state === "idle" ? " scanner-off" : ""}`}>
        <video ref={video} muted playsInline aria-label={t("places.cameraPreview")} />
      </div>
      {state === "idle" ? (
        <button
          type="button"
          class="big"
          onClick={() => void start()}
          disabled={disabled || unavailable}
        >
          {t("places.cameraStart")}
        </button>
      ) : (
        <>
          <p class="hint" role="status">
            {state === "starting" ? t("places.cameraStarting") : t("places.cameraOn")}
          </p>
          <button type="button" class="big secondary" onClick={stop}>
            {t("places.cameraStop")}
          </button>
        </>
      )}
    </section>
  );
}

type Outcome = { ok: true; visit: Visit } | { ok: false; text: string };

export default function CheckInPage() {
  const { spaces, spaceId, setSpaceId, error: spacesError, loading } = useSpaces();
  const today = todayInParis();
  const visits = useAgentQuery(
    PlaceVisitsQuery,
    { spaceId: spaceId ?? "", first: 200 },
    { skip: !spaceId },
  );
  const isTeam = session.value?.role === "FABRIQUE_ADMIN";
  const homesQuery = useAgentQuery(
    VisitHomesQuery,
    { spaceId: spaceId ?? "", first: 200 },
    { skip: !spaceId || !isTeam },
  );
  const [live, setLive] = useState<boolean | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [code, setCode] = useState("");
  const [codeError, setCodeError] = useState<string | undefined>(undefined);
  // A new visit brings its home place (the team's): kept with the others, no query again.
  const addHome = (visit: { id: string; homeSpace?: VisitHome["homeSpace"] }) => {
    const { homeSpace } = visit;
    if (homeSpace)
      homesQuery.setData((current) => ({
        visits: withItem(current?.visits, { id: visit.id, homeSpace }),
      }));
  };

  useEffect(() => {
    if (!spaceId) return;
    const stop = subscribe(
      VisitRecordedSubscription,
      { spaceId, withHome: isTeam },
      {
        next: (data) => {
          const visit = data.visitRecorded;
          if (visit.spaceId !== spaceId) return;
          visits.setData((current) => ({ visits: upsert(current?.visits, visit) }));
          addHome(visit);
        },
        reconnected: () => {
          void visits.refetch();
          if (isTeam) void homesQuery.refetch();
        },
        connection: trackConnection(setLive),
      },
    );
    return releaseConnection(stop);
  }, [spaceId]);

  useReady(Boolean(visits.data || visits.error || spacesError || (!loading && !spaceId)));

  const checkIn = async (input: { pass?: string; shortCode?: string }) => {
    if (!spaceId || busy) return;
    setBusy(true);
    setOutcome(undefined);
    try {
      const result = await request(CheckInMutation, {
        input: { spaceId, ...input },
        withHome: isTeam,
      });
      const visit = result.checkIn;
      if (visit) {
        addHome(visit);
        setOutcome({ ok: true, visit });
        visits.setData((current) => ({ visits: upsert(current?.visits, visit) }));
        setCode("");
      }
    } catch (error) {
      setOutcome({ ok: false, text: errorMessage(error) });
    } finally {
      setBusy(false);
    }
  };

  const submitCode = (event: Event) => {
    event.preventDefault();
    const shortCode = normaliseShortCode(code);
    if (!isShortCode(shortCode)) {
      setCodeError(t("places.codeInvalid"));
      return;
    }
    setCodeError(undefined);
    void checkIn({ shortCode });
  };

  const checkOut = async (visit: Visit) => {
    try {
      const result = await request(CheckOutMutation, { visitId: visit.id });
      const updated = result.checkOut;
      if (updated) visits.setData((current) => ({ visits: upsert(current?.visits, updated) }));
    } catch (error) {
      setOutcome({ ok: false, text: errorMessage(error) });
    }
  };

  const homes = new Map(spaces.map((x) => [x.id, x.name]));
  const s = session.value;
  if (s?.fabriqueId && s.fabriqueName && !homes.has(s.fabriqueId))
    homes.set(s.fabriqueId, s.fabriqueName);
  for (const v of homesQuery.data?.visits ?? []) {
    if (v.homeSpace && !homes.has(v.homeSpace.id)) homes.set(v.homeSpace.id, v.homeSpace.name);
  }
  const who = (v: Visit) => visitorName(v, homes);
  const todays = (visits.data?.visits ?? []).filter((v) => v.day === today);
  const columns: Column<Visit>[] = [
    {
      key: "arrivedAt",
      label: t("places.col.arrivedAt"),
      value: (v) => v.arrivedAt,
      render: (v) => formatTime(v.arrivedAt),
    },
    { key: "visitor", label: t("places.col.visitor"), value: who, rowHeader: true },
    {
      key: "home",
      label: t("places.col.home"),
      value: (v) => homes.get(v.homeSpaceId) ?? t("places.otherPlace"),
    },
    {
      key: "method",
      label: t("places.col.method"),
      value: (v) => (v.method === "PASS" ? t("places.method.PASS") : t("places.method.SHORT_CODE")),
    },
    { key: "disclosed", label: t("places.col.disclosed"), value: disclosed },
    {
      key: "departedAt",
      label: t("places.col.departedAt"),
      value: (v) => v.departedAt ?? "",
      render: (v) =>
        v.departedAt ? (
          formatTime(v.departedAt)
        ) : (
          <button
            type="button"
            class="secondary"
            onClick={() => void checkOut(v)}
            aria-label={t("places.checkOutOf", {
              visitor: who(v),
              time: formatTime(v.arrivedAt),
            })}
          >
            {t("places.checkOut")}
          </button>
        ),
    },
  ];

  return (
    <section class="page places">
      <h1>{t("places.checkIn")}</h1>
      <PlaceHubBanner />
      <SpacePicker spaces={spaces} spaceId={spaceId} onChange={setSpaceId} />
      <ErrorBanner error={spacesError} />
      <div aria-live="polite" class="outcome">
        {outcome?.ok ? (
          <Banner kind="success">
            {t("places.checkedIn", {
              visitor: who(outcome.visit),
              time: formatTime(outcome.visit.arrivedAt),
            })}
            {outcome.visit.disclosure ? ` — ${disclosed(outcome.visit)}` : ""}
          </Banner>
        ) : null}
      </div>
      <div aria-live="assertive">
        {outcome && !outcome.ok ? (
          <Banner kind="error">{t("places.checkInRefused", { reason: outcome.text })}</Banner>
        ) : null}
      </div>
      <div class="check-in-ways">
        <Scanner onCode={(pass) => void checkIn({ pass })} disabled={!spaceId || busy} />
        <section class="card">
          <h2 id="code-title">{t("places.codeTitle")}</h2>
          <form onSubmit={submitCode} noValidate>
            <TextField
              label={t("places.codeLabel")}
              hint={t("places.codeHint")}
              error={codeError}
              value={code}
              autoComplete="off"
              autoCapitalize="characters"
              spellcheck={false}
              class="code-input"
              onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)}
            />
            <button type="submit" class="big" disabled={!spaceId || busy}>
              {t("places.checkInSubmit")}
            </button>
          </form>
        </section>
      </div>
      <h2>{t("places.todayVisits", { date: formatDate(today) })}</h2>
      <LiveState open={live} />
      <ErrorBanner error={visits.error} />
      {visits.data ? (
        <DataTable
          caption={t("places.todayVisitsCaption")}
          columns={columns}
          rows={todays}
          rowKey={(v) => v.id}
          csvName={`visites-${today}`}
        />
      ) : (
        <Loading />
      )}
    </section>
  );
}

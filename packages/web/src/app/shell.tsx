import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { LANGS, lang, t } from "../i18n/i18n.ts";
import { Banner } from "../ui/banner.tsx";
import { ErrorBanner } from "../ui/error-banner.tsx";
import { Loading } from "../ui/loading.tsx";
import type { Route, RouteProps } from "./route-types.ts";
import { currentPath, Link, matchRoute } from "./router.ts";
import { logout, type Session, sessionExpired } from "./session.ts";
import { connectionLost, pageReady } from "./status.ts";

/** The routes the session's role may open. */
export function allowedRoutes(routes: readonly Route[], s: Session): Route[] {
  return routes.filter((route) => route.roles.includes(s.role));
}

function placeName(s: Session): string {
  if (s.fabriqueName) return s.fabriqueName;
  return s.role === "NATIONAL" ? t("app.national") : t("app.name");
}

function LanguageSwitch() {
  return (
    <fieldset class="lang-switch">
      <legend class="visually-hidden">{t("app.language")}</legend>
      {LANGS.map((code) => (
        <button
          key={code}
          type="button"
          class="lang"
          lang={code}
          aria-pressed={lang.value === code}
          title={code === "fr" ? t("app.languageFr") : t("app.languageEn")}
          onClick={() => {
            lang.value = code;
          }}
        >
          {code.toUpperCase()}
          <span class="visually-hidden">
            {" "}
            – {code === "fr" ? t("app.languageFr") : t("app.languageEn")}
          </span>
        </button>
      ))}
    </fieldset>
  );
}

/** The header, navigation, banners and main landmark around the routed view. */
export function Shell({ session, routes }: { session: Session; routes: readonly Route[] }) {
  const allowed = allowedRoutes(routes, session);
  const path = currentPath.value;
  const match = matchRoute(allowed, path);
  const anyMatch = match ?? matchRoute(routes, path);

  useEffect(() => {
    const title = match ? t(match.route.title) : t("app.notFound");
    document.title = `${title} — ${placeName(session)} — ${t("app.name")}`;
  });

  return (
    <>
      <a class="skip-link" href="#main">
        {t("app.skipToContent")}
      </a>
      <header class="app-header">
        <div class="brand">
          <span class="app-name">{t("app.name")}</span>
          <span class="place">{placeName(session)}</span>
          <span class="role">{t(`role.${session.role}`)}</span>
        </div>
        <nav aria-label={t("app.mainNav")}>
          <ul>
            {allowed
              .filter((r) => r.nav)
              .map((r) => (
                <li key={r.path}>
                  <Link to={r.path}>{t(r.title)}</Link>
                </li>
              ))}
          </ul>
        </nav>
        <div class="header-tools">
          <LanguageSwitch />
          <button type="button" class="secondary" onClick={() => void logout()}>
            {t("app.logout")}
          </button>
        </div>
      </header>
      <div class="banners" aria-live="polite">
        {sessionExpired.value ? <Banner kind="error">{t("app.expired")}</Banner> : null}
        {connectionLost.value && !sessionExpired.value ? (
          <Banner kind="warning">{t("app.offline")}</Banner>
        ) : null}
      </div>
      <main id="main" tabIndex={-1} data-ready={pageReady.value ? "true" : undefined}>
        {match ? (
          <RouteView
            key={`${match.route.path}|${path}`}
            route={match.route}
            params={match.params}
          />
        ) : anyMatch ? (
          <Message title={t("app.notFound")}>{t("app.forbidden")}</Message>
        ) : (
          <Message title={t("app.notFound")}>{t("app.notFoundText")}</Message>
        )}
      </main>
    </>
  );
}

function Message({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="page">
      <h1>{title}</h1>
      <p>{children}</p>
      <p>
        <Link to="/">{t("app.backHome")}</Link>
      </p>
    </section>
  );
}

type Loaded = { view: (props: RouteProps) => ComponentChildren } | { error: unknown };

/** Loads a route's view module, then renders it; focus goes to the page's first heading. */
function RouteView({ route, params }: { route: Route; params: Record<string, string> }) {
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  useEffect(() => {
    let live = true;
    pageReady.value = false;
    route
      .view()
      .then(
        (module) =>
          live && setLoaded({ view: module.default as (props: RouteProps) => ComponentChildren }),
      )
      .catch((error: unknown) => live && setLoaded({ error }));
    return () => {
      live = false;
    };
  }, [route]);
  if (!loaded) return <Loading />;
  if ("error" in loaded) return <ErrorBanner error={loaded.error} />;
  const View = loaded.view;
  return <View params={params} />;
}

import { render } from "preact";
import type { Route } from "./app/route-types.ts";
import { loadSession, session } from "./app/session.ts";
import { Shell } from "./app/shell.tsx";
import { SignedOut } from "./app/signed-out.tsx";
import "./app/styles.css";
import { Loading } from "./ui/loading.tsx";

const root = document.getElementById("app") as HTMLElement;

// The route tables are small; the views behind them are separate chunks (dashboard, console).
async function routesFor(server: "hub" | "agent"): Promise<readonly Route[]> {
  if (server === "hub") return (await import("./dashboard/routes.tsx")).dashboardRoutes;
  return (await import("./console/routes.tsx")).consoleRoutes;
}

function App({ routes }: { routes: readonly Route[] | undefined }) {
  const current = session.value;
  if (current === undefined) return <Loading />;
  if (current === null) return <SignedOut />;
  // Signed in, the routes' chunk still loading: not "Connexion requise" (nor its data-ready).
  if (!routes) return <Loading />;
  return <Shell session={current} routes={routes} />;
}

async function boot() {
  render(<App routes={undefined} />, root);
  const current = await loadSession();
  const routes = current ? await routesFor(current.server) : undefined;
  render(<App routes={routes} />, root);
}

void boot();

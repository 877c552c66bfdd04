// The reference web client: sign in with a bearer token, then the screens chosen by the URL's hash.
import "./style.css";
import { Gateway } from "./client";
import { h, showError } from "./dom";
import { Viewer } from "./operations";
import { inboxScreen } from "./screens/inbox";
import { processScreen } from "./screens/process";
import { processesScreen } from "./screens/processes";
import { runScreen } from "./screens/run";
import type { Screen, Session } from "./screens/types";

const TOKEN_KEY = "processgraph.token";
const app = document.getElementById("app") as HTMLElement;
const routes: [RegExp, Screen][] = [
  [/^#\/processes\/([0-9a-zA-Z_-]+)$/, processScreen],
  [/^#\/runs\/([0-9a-zA-Z_-]+)$/, runScreen],
  [/^#\/inbox$/, inboxScreen],
  [/^#\/processes$/, processesScreen],
];

/** The gateway's origin, from /config.json (written by scripts/web from GATEWAY). */
async function gatewayUrl(): Promise<string> {
  const config = (await (await fetch("/config.json")).json()) as { gateway: string };
  return config.gateway.replace(/\/+$/, "");
}

function signInForm(url: string, problem?: unknown): void {
  const token = h("textarea", { name: "token", rows: "4", required: true, "aria-label": "Bearer token",
                               placeholder: "pgt_… (an API token) or an OpenID Connect access token" });
  const problems = h("div");
  if (problem !== undefined) showError(problems, problem);
  app.replaceChildren(h("main", { class: "signin" },
    h("h1", {}, "Sign in"),
    h("p", {}, `Paste a bearer token for ${url}: an API token (scripts/admin create-token) or an access token from `
      + "your OpenID Connect provider. It is kept in this tab only (sessionStorage)."),
    h("form", { onsubmit: (event: Event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, token.value.trim());
      void start();
    } }, token, h("button", { type: "submit" }, "Sign in")),
    problems));
}

function shell(session: Session): void {
  const main = h("main");
  const signOut = () => { sessionStorage.removeItem(TOKEN_KEY); session.gateway.close(); location.hash = ""; void start(); };
  app.replaceChildren(
    h("header", {},
      h("nav", {}, h("a", { href: "#/processes" }, "Processes"), h("a", { href: "#/inbox" }, "Inbox")),
      h("span", { class: "who", "data-testid": "viewer" }, `${session.viewer.user.name} · ${session.viewer.workspace.name}`),
      h("button", { type: "button", onclick: signOut }, "Sign out")),
    main);
  let stop = (): void => undefined;
  const route = () => {
    stop();
    const found = routes.map(([pattern, screen]) => [location.hash.match(pattern), screen] as const).find(([m]) => m);
    if (!found) {
      location.hash = "#/processes";
      return;
    }
    const [match, screen] = found;
    stop = screen(session, main, match?.[1] ?? "");
  };
  window.onhashchange = route;
  route();
}

async function start(): Promise<void> {
  window.onhashchange = null;
  const url = await gatewayUrl();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    signInForm(url);
    return;
  }
  const gateway = new Gateway(url, token);
  try {
    const { viewer } = await gateway.request(Viewer, {});
    shell({ gateway, viewer });
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    signInForm(url, error);
  }
}

void start();

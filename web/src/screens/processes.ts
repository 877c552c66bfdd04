// The process list: search by name, ten per page, forward by the keyset cursor and back by the cursors
// already seen.
import { h, label, showError, when } from "../dom";
import type { ProcessesQuery } from "../gql/graphql";
import { Processes } from "../operations";
import type { Screen } from "./types";

const PAGE = 10;

export const processesScreen: Screen = ({ gateway }, root) => {
  let search = "";
  let cursors: (string | null)[] = [null]; // the `after` of each page seen so far; the last is this page's
  let stopped = false;
  const input = h("input", { name: "search", type: "search", placeholder: "Name contains…", "aria-label": "Search" });
  const status = h("p", { "data-testid": "page-info" });
  const body = h("tbody");
  const previous = h("button", { type: "button", onclick: () => { cursors.pop(); void load(); } }, "Previous");
  const next = h("button", { type: "button" }, "Next");
  const problems = h("div");

  root.replaceChildren(
    h("h1", {}, "Processes"),
    h("form", { role: "search", onsubmit: (event: Event) => {
      event.preventDefault();
      search = input.value.trim();
      cursors = [null];
      void load();
    } }, input, h("button", { type: "submit" }, "Search")),
    problems, status,
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Process"), h("th", {}, "Due"), h("th", {}, "Latest run"),
                                           h("th", {}, "Manager"), h("th", {}, "Last changed"))), body),
    h("nav", { class: "pager" }, previous, next),
  );

  function row(node: ProcessesQuery["processes"]["edges"][number]["node"]): HTMLElement {
    const run = node.run;
    return h("tr", { "data-process-id": node.id },
      h("td", {}, h("a", { href: `#/processes/${node.id}` }, node.name)),
      h("td", {}, node.dueDate ?? "—"),
      h("td", {}, run ? h("a", { href: `#/runs/${run.id}` }, label(run.status)) : "not run yet"),
      h("td", {}, run?.manager.name ?? "—"),
      h("td", {}, `${when(node.modified.dateTime)} by ${node.modified.user.name}`));
  }

  async function load(): Promise<void> {
    const after = cursors[cursors.length - 1] ?? null;
    try {
      const { processes } = await gateway.request(Processes, { first: PAGE, after, search: search || null });
      if (stopped) return;
      problems.replaceChildren();
      const first = (cursors.length - 1) * PAGE + 1;
      const shown = processes.edges.length;
      status.textContent = shown === 0 ? "No process matches." :
        `Showing ${first} to ${first + shown - 1} of ${processes.totalCount}`;
      body.replaceChildren(...processes.edges.map((edge) => row(edge.node)));
      previous.disabled = cursors.length === 1;
      next.disabled = !processes.pageInfo.hasNextPage;
      next.onclick = () => { cursors.push(processes.pageInfo.endCursor ?? null); void load(); };
    } catch (error) {
      if (!stopped) showError(problems, error);
    }
  }

  void load();
  return () => { stopped = true; };
};

// A run: its status, counts, tree with people and statuses, and its event log, kept current by the
// runEvents subscription (replayed from the first event, then live). Each new event appends to the log
// and reloads the tree once the burst is over.
import { assigneeAndApprover, childrenOf, h, label, showError, when } from "../dom";
import type { RunEventsSubscription, RunQuery } from "../gql/graphql";
import { Run, RunEvents } from "../operations";
import type { Screen } from "./types";

type RunNode = NonNullable<RunQuery["processRun"]>["nodes"][number];
type RunEvent = RunEventsSubscription["runEvents"];

function people(node: RunNode): string {
  if (node.__typename !== "JobRun") return "";
  const args = node.arguments;
  if (args.__typename === "SendTaskArgs" || args.__typename === "ContentRequestArgs") {
    return assigneeAndApprover(args);
  }
  return args.__typename === "GeneratedCertificationArgs" && args.person ? `acts: ${args.person.name}` : "";
}

export const runScreen: Screen = ({ gateway }, root, id) => {
  const head = h("div");
  const treeBox = h("div", { class: "tree", "data-testid": "run-tree" });
  const log = h("ol", { class: "events", "data-testid": "events" });
  const problems = h("div");
  const names = new Map<string, string>();
  const events: RunEvent[] = [];
  let reload: number | undefined;
  let stopped = false;
  root.replaceChildren(head, problems, treeBox, h("h2", {}, "Events (live)"), log);

  function tree(nodes: RunNode[]): HTMLElement | null {
    for (const node of nodes) names.set(node.id, node.name);
    const children = childrenOf(nodes);
    const branch = (parent: string | null): HTMLElement | null => {
      const kids = children(parent);
      if (kids.length === 0) return null;
      return h("ul", {}, kids.map((node) => h("li", { "data-node-id": node.id, class: node.__typename },
        h("span", { class: "name" }, node.name), " ",
        h("span", { class: `status ${node.status}`, "data-testid": "status" }, label(node.status)),
        node.__typename === "JobRun"
          ? h("span", { class: "meta" }, ` · ${label(node.actionStatus)} · ${people(node)}`,
              node.dueDate ? ` · due ${node.dueDate}` : "", node.lastComment?.comment ? ` · “${node.lastComment.comment}”` : "")
          : null,
        branch(node.id))));
    };
    return branch(null);
  }

  async function load(): Promise<void> {
    try {
      const { processRun: run } = await gateway.request(Run, { id });
      if (stopped) return;
      if (!run) {
        head.replaceChildren(h("h1", {}, "Run not found"));
        return;
      }
      names.set(run.id, run.name);
      head.replaceChildren(
        h("h1", {}, run.name, " ", h("span", { class: `status ${run.status}`, "data-testid": "run-status" }, label(run.status))),
        h("p", {}, `Started ${when(run.created.dateTime)} by ${run.manager.name}`, run.dueDate ? ` · due ${run.dueDate}` : ""),
        h("p", { class: "counts", "data-testid": "counts" },
          run.statusCounts.filter((c) => c.count > 0).map((c) => `${label(c.status)}: ${c.count}`).join(" · ")));
      treeBox.replaceChildren(tree(run.nodes) ?? "");
      log.replaceChildren(...events.map(event)); // now with the names of nodes the events arrived before
    } catch (error) {
      if (!stopped) showError(problems, error);
    }
  }

  function event(e: RunEvent): HTMLElement {
    return h("li", { "data-sequence": String(e.sequence) },
      `${when(e.at)} · ${names.get(e.nodeId) ?? e.nodeKind}: ${e.field} ${e.fromValue ?? "—"} → ${e.toValue}`,
      e.user ? ` by ${e.user.name}` : "", e.comment ? ` “${e.comment}”` : "");
  }

  void load();
  // Reconnects resubscribe from the start: events already shown are skipped by their sequence.
  const unsubscribe = gateway.subscribe(RunEvents, { runId: id, after: 0 }, ({ runEvents }) => {
    if (runEvents.sequence <= (events[events.length - 1]?.sequence ?? 0)) return;
    events.push(runEvents);
    log.append(event(runEvents));
    window.clearTimeout(reload);
    reload = window.setTimeout(() => void load(), 150);
  }, (error) => showError(problems, error));
  return () => { stopped = true; window.clearTimeout(reload); unsubscribe(); };
};

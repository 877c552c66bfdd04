// The viewer's inbox: the job runs waiting for them, with submit / approve / return (with a comment).
// It stays current through the inboxChanges subscription, resumed from the liveCursor read with the list,
// so nothing that happens between the read and the subscription is missed.
import { assigneeAndApprover, h, label, showError, when } from "../dom";
import type { InboxJobRunFragment } from "../gql/graphql";
import { Approve, Inbox, InboxChanges, Return, Submit } from "../operations";
import type { Screen } from "./types";

type Action = "submit" | "approve" | "return";

export const inboxScreen: Screen = ({ gateway }, root) => {
  const rows = new Map<string, InboxJobRunFragment>();
  const body = h("tbody");
  const problems = h("div");
  const live = h("p", { class: "live", "data-testid": "live" }, "Loading…");
  let unsubscribe = (): void => undefined;
  let stopped = false;
  root.replaceChildren(h("h1", {}, "Inbox"), live, problems,
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Task"), h("th", {}, "Run"), h("th", {}, "Waiting for"),
                                           h("th", {}, "Due"), h("th", {}, "People"), h("th", {}, "Act"))), body));

  async function act(jobRun: InboxJobRunFragment, action: Action, comment: string, out: HTMLElement): Promise<void> {
    const variables = { id: jobRun.id, comment: comment || null, revision: jobRun.revision };
    try {
      const errors = action === "submit" ? (await gateway.request(Submit, variables)).jobRunSubmit.errors
        : action === "approve" ? (await gateway.request(Approve, variables)).jobRunApprove.errors
        : (await gateway.request(Return, { ...variables, comment })).jobRunReturn.errors;
      // On success the row leaves (or changes) when the inbox subscription reports it.
      out.replaceChildren(...errors.map((e) => h("p", { class: "error", role: "alert" }, `${e.code}: ${e.message}`)));
    } catch (error) {
      showError(out, error);
    }
  }

  function row(jobRun: InboxJobRunFragment): HTMLElement {
    const args = jobRun.arguments;
    const note = jobRun.lastComment;
    const comment = h("input", { name: "comment", placeholder: "Comment", "aria-label": "Comment" });
    const out = h("div");
    const button = (action: Action, text: string) =>
      h("button", { type: "button", onclick: () => void act(jobRun, action, comment.value.trim(), out) }, text);
    const actions = jobRun.actionStatus === "APPROVAL" ? [button("approve", "Approve"), button("return", "Return")]
      : jobRun.actionStatus === "SENT" || jobRun.actionStatus === "RETURNED" ? [button("submit", "Submit")] : [];
    const who = args.__typename === "SendTaskArgs" || args.__typename === "ContentRequestArgs"
      ? assigneeAndApprover(args) : "";
    return h("tr", { "data-job-run-id": jobRun.id },
      h("td", {}, h("strong", {}, jobRun.name),
        "instructions" in args && args.instructions ? h("div", { class: "meta" }, args.instructions) : null, note ? h("div", { class: "comment" },
        `“${note.comment ?? ""}”`, note.user ? ` (${note.user.name}, ${when(note.at)})` : "") : null),
      h("td", {}, jobRun.run ? h("a", { href: `#/runs/${jobRun.runId}` }, jobRun.run.name) : jobRun.runId,
        jobRun.run ? h("div", { class: "meta" }, `manager: ${jobRun.run.manager.name}`) : null),
      h("td", { "data-testid": "action-status" }, label(jobRun.actionStatus)),
      h("td", { class: jobRun.overdue ? "overdue" : "" }, jobRun.dueDate ?? "—", jobRun.overdue ? " (overdue)" : ""),
      h("td", {}, who),
      h("td", {}, actions.length ? [comment, ...actions] : null, out));
  }

  function render(): void {
    const sorted = [...rows.values()].sort((a, b) => (a.dueDate ?? "9999").localeCompare(b.dueDate ?? "9999")
      || a.name.localeCompare(b.name));
    body.replaceChildren(...sorted.map(row));
    if (sorted.length === 0) body.append(h("tr", {}, h("td", { colspan: "6" }, "Nothing waits for you.")));
  }

  void (async () => {
    try {
      const { liveCursor, viewer } = await gateway.request(Inbox, {});
      if (stopped) return;
      for (const jobRun of viewer.jobRuns) rows.set(jobRun.id, jobRun);
      render();
      live.textContent = "Live: changes appear as they happen.";
      unsubscribe = gateway.subscribe(InboxChanges, { after: liveCursor }, ({ inboxChanges: change }) => {
        if (change.kind === "LEFT" || !change.jobRun) rows.delete(change.jobRunId);
        else rows.set(change.jobRunId, change.jobRun);
        render();
      }, (error) => showError(problems, error));
    } catch (error) {
      if (!stopped) showError(problems, error);
    }
  })();
  return () => { stopped = true; unsubscribe(); };
};

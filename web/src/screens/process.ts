// One process as a tree, with the people of each job by name (assigneeUser, approverUser, step members),
// and a button that starts a run.
import { assigneeAndApprover, childrenOf, h, label, names, showError, when } from "../dom";
import type { ProcessTreeQuery } from "../gql/graphql";
import { ProcessTree, RunStart } from "../operations";
import type { Screen } from "./types";

type TreeNode = NonNullable<ProcessTreeQuery["process"]>["nodes"][number];

function people(node: TreeNode): string {
  if (node.__typename !== "ProcessJob") return "";
  const args = node.arguments;
  switch (args.__typename) {
    case "SendTaskArgs":
    case "ContentRequestArgs":
      return [assigneeAndApprover(args), args.dueDate ? `due ${args.dueDate}` : null].filter(Boolean).join(" · ");
    case "CertificationArgs":
      return [`signers: ${names(args.signerSteps.flatMap((s) => s.members))}`,
              `approvers: ${names(args.approverSteps.flatMap((s) => s.members))}`].join(" · ");
    case "GeneratedCertificationArgs":
      return args.person ? `acts: ${args.person.name}` : "";
  }
}

export const processScreen: Screen = ({ gateway }, root, id) => {
  let stopped = false;
  const problems = h("div");
  root.replaceChildren(h("p", {}, "Loading…"));

  function tree(nodes: TreeNode[]): HTMLElement {
    const children = childrenOf(nodes);
    const branch = (parent: string | null): HTMLElement | null => {
      const kids = children(parent);
      if (kids.length === 0) return null;
      return h("ul", {}, kids.map((node) => h("li", { "data-node-id": node.id, class: node.__typename },
        h("span", { class: "name" }, node.name || "(untitled)"),
        node.__typename === "ProcessGroup"
          ? h("span", { class: "meta" }, node.parallel ? " parallel" : " in order")
          : h("span", { class: "meta" }, ` ${label(node.action)} — ${people(node)}`),
        branch(node.id))));
    };
    return h("div", { class: "tree", "data-testid": "process-tree" }, branch(null));
  }

  async function start(): Promise<void> {
    try {
      const { runStart } = await gateway.request(RunStart, { processId: id });
      if (runStart.run) location.hash = `#/runs/${runStart.run.id}`;
      else problems.replaceChildren(...runStart.errors.map((e) => h("p", { class: "error" }, `${e.code}: ${e.message}`)));
    } catch (error) {
      showError(problems, error);
    }
  }

  void (async () => {
    try {
      const { process } = await gateway.request(ProcessTree, { id });
      if (stopped) return;
      if (!process) {
        root.replaceChildren(h("h1", {}, "Process not found"));
        return;
      }
      root.replaceChildren(
        h("h1", {}, process.name),
        h("p", {}, `Created ${when(process.created.dateTime)} by ${process.created.user.name}`,
          process.dueDate ? ` · due ${process.dueDate}` : ""),
        h("button", { type: "button", onclick: () => void start() }, "Start a run"),
        problems, tree(process.nodes));
    } catch (error) {
      if (!stopped) showError(root, error);
    }
  })();
  return () => { stopped = true; };
};

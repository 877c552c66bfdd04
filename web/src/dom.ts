// A tiny element builder: text always goes in as text (never parsed as HTML), so nothing the API
// returns can inject markup.
export type Child = Node | string | number | null | undefined | false;
type Attribute = string | boolean | ((event: Event) => void);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attributes: Record<string, Attribute> = {}, ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (typeof value === "boolean") element.toggleAttribute(name, value);
    else element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** An enum value as people read it: APPROVAL -> approval, ERROR_HOLD -> error hold. */
export function label(value: string): string {
  return value.toLowerCase().replace(/_/g, " ");
}

export function when(dateTime: string): string {
  return new Date(dateTime).toLocaleString();
}

export function names(users: ({ name: string } | null | undefined)[]): string {
  return users.filter((u): u is { name: string } => !!u).map((u) => u.name).join(", ") || "nobody";
}

/** Renders `error` into `where` (a GatewayError's code and message, or anything else's text). */
export function showError(where: HTMLElement, error: unknown): void {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  where.replaceChildren(h("p", { class: "error", role: "alert" }, code ? `${code}: ${message}` : message));
}

/** The children of each node of a flat tree list (`nodes` with `parentId` and `ordinal`), in ordinal order. */
export function childrenOf<T extends { parentId?: string | null; ordinal: number }>(nodes: T[]):
    (parent: string | null) => T[] {
  const children = new Map<string | null, T[]>();
  for (const node of nodes) {
    const siblings = children.get(node.parentId ?? null) ?? [];
    siblings.push(node);
    children.set(node.parentId ?? null, siblings);
  }
  for (const siblings of children.values()) siblings.sort((a, b) => a.ordinal - b.ordinal);
  return (parent) => children.get(parent) ?? [];
}

/** "assignee: Ann · approver: Bo" for a task's or content request's people (by name, from the API). */
export function assigneeAndApprover(args: { assigneeUser?: { name: string } | null;
                                            approverUser?: { name: string } | null }): string {
  return [`assignee: ${args.assigneeUser?.name ?? "nobody"}`,
          args.approverUser ? `approver: ${args.approverUser.name}` : null].filter(Boolean).join(" · ");
}

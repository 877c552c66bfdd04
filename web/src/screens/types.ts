import type { Gateway } from "../client";
import type { ViewerQuery } from "../gql/graphql";

/** What every screen gets: the signed-in gateway client and who is signed in. */
export interface Session {
  gateway: Gateway;
  viewer: ViewerQuery["viewer"];
}

/** A screen renders into `root` and returns what stops its work (subscriptions) when the page changes. */
export type Screen = (session: Session, root: HTMLElement, id: string) => () => void;

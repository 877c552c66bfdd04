// The typed client: one function for queries and mutations (POST /graphql), one for subscriptions
// (graphql-transport-ws on the same path). Both take the TypedDocumentString that graphql() returns, so
// `variables` and the result are typed from schema.graphql.
import { createClient, type Client } from "graphql-ws";
import type { TypedDocumentString } from "./gql/graphql";

/** A GraphQL error or an HTTP refusal, with the gateway's stable code (UNAUTHENTICATED, FORBIDDEN, ...). */
export class GatewayError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

interface GraphQLResponse<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

function firstError<R>(body: GraphQLResponse<R>, status: number): GatewayError | null {
  const error = body.errors?.[0];
  if (error) return new GatewayError(error.message, error.extensions?.code ?? "ERROR");
  if (body.data == null) return new GatewayError(`the gateway answered HTTP ${status} without data`, "ERROR");
  return null;
}

/** graphql-ws reports errors as GraphQL error lists, close events or exceptions. */
function socketError(error: unknown): GatewayError {
  if (Array.isArray(error)) {
    const first = error[0] as { message?: string; extensions?: { code?: string } } | undefined;
    return new GatewayError(first?.message ?? "subscription refused", first?.extensions?.code ?? "ERROR");
  }
  if (error instanceof Error) return new GatewayError(error.message, "UNAVAILABLE");
  const closed = error as { code?: number; reason?: string };
  return new GatewayError(`the live connection closed (${closed.code ?? "?"} ${closed.reason ?? ""})`.trim(),
                          closed.code === 4403 ? "UNAUTHENTICATED" : "UNAVAILABLE");
}

export class Gateway {
  private socket: Client | null = null;

  /** `url` is the gateway's origin (http://127.0.0.1:8000); `token` an API token or an OIDC access token. */
  constructor(readonly url: string, private readonly token: string) {}

  async request<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    const response = await fetch(`${this.url}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    const body = (await response.json()) as GraphQLResponse<R>;
    const error = firstError(body, response.status);
    if (error) throw error;
    return body.data as R;
  }

  /** Streams a subscription's results to `next` until the returned function is called. */
  subscribe<R, V>(document: TypedDocumentString<R, V>, variables: V, next: (data: R) => void,
                  failed: (error: GatewayError) => void): () => void {
    this.socket ??= createClient({
      url: `${this.url.replace(/^http/, "ws")}/graphql`,
      connectionParams: { Authorization: `Bearer ${this.token}` },
      retryAttempts: 5,
    });
    return this.socket.subscribe<R>(
      { query: document.toString(), variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          const error = firstError(result as GraphQLResponse<R>, 200);
          if (error) failed(error);
          else next(result.data as R);
        },
        error: (error: unknown) => failed(socketError(error)),
        complete: () => undefined,
      },
    );
  }

  close(): void {
    void this.socket?.dispose();
    this.socket = null;
  }
}

// Hive Gateway's configuration for tests/test_federation_gateway.py: the client's bearer header goes on to
// every subgraph (Processgraph authenticates each request itself). The supergraph is a command argument.
import { defineConfig } from "@graphql-hive/gateway";

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get("authorization") ?? "" }),
  },
});

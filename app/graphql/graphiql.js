// Processgraph's GraphiQL page. React, ReactDOM, GraphiQL and its explorer plugin come from this gateway (app/graphql/ide.py);
// the page's settings come from the JSON in #graphiql-config.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var url = new URL(config.endpoint, window.location.href);
  var socketUrl = new URL(url.href);
  socketUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  // Queries and mutations are POSTed with the headers editor's headers. A subscription opens a
  // graphql-transport-ws connection (the graphql-ws client inside GraphiQL's bundle) to the same path,
  // and the toolkit sends those same headers as the connection_init payload, where the gateway reads
  // {"Authorization": "Bearer <token>"}.
  var fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: socketUrl.href });
  var props = {
    fetcher: fetcher,
    defaultQuery: config.defaultQuery,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    inputValueDeprecation: true,
    defaultEditorToolsVisibility: "headers", // every request needs the token
    // The explorer (the folder icon in the sidebar) builds a query by ticking fields and arguments.
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
  };
  if (config.headers) {
    props.headers = config.headers; // development on loopback only: the demo token
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, props));
})();

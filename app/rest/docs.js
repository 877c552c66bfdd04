// Processgraph's REST API page: Swagger UI from this gateway (app/rest/docs.py) over /v1/openapi.json.
// The page's settings come from the JSON in #docs-config.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("docs-config").textContent);
  var ui = SwaggerUIBundle({
    url: config.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no badge fetched from another host
    tryItOutEnabled: true,
    persistAuthorization: true, // what you type into Authorize stays in this browser
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    onComplete: function () {
      if (config.token) {
        // Development on loopback only: the demo token, once the document (and its scheme) is loaded.
        ui.preauthorizeApiKey("bearer", config.token);
      }
    },
  });
  window.ui = ui;
})();

// PostGraphile 5 (Grafast) serving the benchmark database with the V4 compatibility preset.
import cluster from "node:cluster";
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makeV4Preset } from "postgraphile/presets/v4";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { TagsFilePlugin } from "postgraphile/utils";

const [, , connectionString, host, portText, workersText] = process.argv;
const port = Number(portText);
const workers = Number(workersText || "1");

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const preset = {
    extends: [
      PostGraphileAmberPreset,
      makeV4Preset({
        dynamicJson: true,
        setofFunctionsContainNulls: false,
        disableDefaultMutations: true,
        graphiql: false,
        simpleCollections: "omit",
      }),
    ],
    plugins: [TagsFilePlugin],
    pgServices: [makePgService({ connectionString, schemas: ["public"] })],
    grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.on("error", (e) => { console.error(e); process.exit(1); });
  await serv.addTo(server);
  await pgl.getSchema();
  server.listen(port, host, () => console.log(`PostGraphile v5 listening on ${host}:${port} (pid ${process.pid})`));
}

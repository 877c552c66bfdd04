// PostGraphile 5 (Grafast) serving the benchmark database with the V4 compatibility preset.
import cluster from "node:cluster";
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makeV4Preset } from "postgraphile/presets/v4";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { TagsFilePlugin, addPgTableCondition } from "postgraphile/utils";

// Conditions for the reads of workload (f), which PostGraphile's equality conditions cannot say: a process
// name's part (our `nameContains`: the casefolded name_key LIKE the given pattern), and a job run's workspace
// (through its run). A user's inbox is PostGraphile's own equality condition on job_run.waiting_for, the column
// our inbox reads (indexed, kept by our run service).
const text = (build) => ({ type: build.graphql.GraphQLString });
const conditions = [
  addPgTableCondition({ schemaName: "public", tableName: "process" }, "nameKeyLike", text,
    (value, { sql, sqlTableAlias }) => sql`${sqlTableAlias}.name_key like ${sql.value(value)}`),
  addPgTableCondition({ schemaName: "public", tableName: "job_run" }, "inWorkspace", text,
    (value, { sql, sqlTableAlias: t }) =>
      sql`${t}.run_id in (select id from public.process_run where workspace_id = ${sql.value(value)})`),
];

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
    plugins: [TagsFilePlugin, ...conditions],
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

// Compose subgraphs into a supergraph with the Guild's composer (tests/test_federation_gateway.py):
//   node compose.mjs OUT NAME=URL=SDL_FILE...
// Writes the supergraph SDL to OUT; prints the composition errors and exits 1 when it fails.
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@theguild/federation-composition";

const [out, ...specs] = process.argv.slice(2);
const services = specs.map((spec) => {
  const [name, url, file] = spec.split("=");
  return { name, url, typeDefs: parse(readFileSync(file, "utf8")) };
});
const result = composeServices(services);
if (result.errors?.length) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);

// GraphQL Code Generator: types every operation written with graphql() in src/ from the committed schema.
// Run `npm run codegen` (or scripts/web codegen) after editing an operation or ../schema.graphql; the test
// suite runs it with --check and fails when src/gql/ is stale.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  // CODEGEN_SCHEMA: another schema file (the tests use it to show that a stale src/gql/ is caught).
  schema: process.env.CODEGEN_SCHEMA ?? "../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        // Operations are sent as strings: the page needs no GraphQL parser at run time.
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { Date: "string", DateTime: "string", JSON: "unknown" },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;

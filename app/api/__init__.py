"""The composition root of the GraphQL door: the schema built from every domain's root types, the `node`
queries over all of them, the request limits, and the schema's export. Nothing below imports it."""

// Runs graphql-http's server audits against URL with a bearer token; prints one JSON summary line.
import { serverAudits } from 'graphql-http';

const [url, token] = process.argv.slice(2);
const fetchFn = (input, init = {}) =>
  fetch(input, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${token}` } });
const summary = { MUST: { ok: 0, failed: [] }, SHOULD: { ok: 0, failed: [] }, MAY: { ok: 0, failed: [] } };
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  const level = audit.name.split(' ')[0];
  if (result.status === 'ok') summary[level].ok++;
  else summary[level].failed.push(`${audit.name}: ${result.reason}`);
}
console.log(JSON.stringify(summary));

# Shared by the scripts: a project virtualenv installed from the lock file, and GraphiQL's browser
# assets (vendor/graphiql) installed from theirs with npm ci. Sourced, not run. Each installs only when
# its lock changed since its last install.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  echo "install: creating $VENV with $($PY --version)" >&2
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.lock-installed"
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "install: installing pinned dependencies from requirements.lock" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock >&2
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
# GraphiQL's scripts and styles, served by the gateway itself (app/graphql/ide.py), never from a CDN.
assets="$ROOT/vendor/graphiql"
stamp="$assets/node_modules/.lock-installed"
want=$(sha256sum "$assets/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  if ! command -v npm >/dev/null; then
    echo "install: npm is needed to fetch GraphiQL's pinned assets (vendor/graphiql/package-lock.json);" \
         "install Node.js 18 or later with npm (Debian: apt-get install nodejs npm) and run scripts/install again" >&2
    exit 1
  fi
  echo "install: installing GraphiQL's pinned assets from vendor/graphiql/package-lock.json" >&2
  (cd "$assets" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
  echo "$want" > "$stamp"
fi

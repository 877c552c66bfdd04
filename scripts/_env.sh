# Shared by the scripts: a project virtualenv installed from the hash-pinned locks, and the Node packages of
# vendor/graphiql and web/ installed from theirs with npm ci. Sourced, not run. Each installs only when
# its lock changed since its last install.
#   requirements.lock      the runtime: every script installs it (serving needs nothing else)
#   requirements-dev.lock  the dev tools (pytest, mypy, ruff, ...): only scripts that set DEV_TOOLS=1 before
#                          sourcing this file (scripts/test) install it, together with the runtime lock
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  echo "install: creating $VENV with $($PY --version)" >&2
  "$PY" -m venv "$VENV"
fi
# install_locks STAMP LOCK...: pip-install the locks (hashes required) unless STAMP holds their digest.
install_locks() {
  local stamp="$VENV/$1" want lock args=()
  shift
  want=$(cat "$@" | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "install: installing pinned dependencies from $*" >&2
    for lock in "$@"; do args+=(-r "$lock"); done
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes "${args[@]}" >&2
    echo "$want" > "$stamp"
  fi
}
install_locks .lock-installed requirements.lock
if [ "${DEV_TOOLS:-0}" = "1" ]; then
  install_locks .dev-lock-installed requirements.lock requirements-dev.lock
fi
export PATH="$VENV/bin:$PATH"
# Node packages, each from its package-lock.json with npm ci: GraphiQL's scripts and styles (vendor/graphiql,
# served by the gateway itself, never from a CDN) and the typed TypeScript client with the reference web
# client (web/: GraphQL Code Generator, TypeScript, Vite, graphql-ws). Offline once installed.
npm_ci() {
  local dir="$ROOT/$1" what="$2"
  local stamp="$dir/node_modules/.lock-installed" want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    if ! command -v npm >/dev/null; then
      echo "install: npm is needed to fetch $what ($1/package-lock.json);" \
           "install Node.js 20 or later with npm (Debian: apt-get install nodejs npm) and run scripts/install again" >&2
      exit 1
    fi
    echo "install: installing $what from $1/package-lock.json" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
    echo "$want" > "$stamp"
  fi
}
npm_ci vendor/graphiql "GraphiQL's pinned assets"
# The web client's packages are build tools, not something the gateway serves: only the tests (DEV_TOOLS=1)
# and scripts/web (WEB_PACKAGES=1) install them.
if [ "${DEV_TOOLS:-0}" = "1" ] || [ "${WEB_PACKAGES:-0}" = "1" ]; then
  npm_ci web "the web client's pinned packages"
fi
# The Guild's composer and Hive Gateway, for the federation test (tests/test_federation_gateway.py): test tools
# only. They run on the system's Node.js (20 or later, as their engines ask).
if [ "${DEV_TOOLS:-0}" = "1" ]; then
  npm_ci tests/federation "the federation test's composer and router"
fi

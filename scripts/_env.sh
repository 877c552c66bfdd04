# Shared by the scripts: a project virtualenv installed from the lock file.
# Sourced, not run. Installs only when requirements.lock changed since the last install.
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

# Shared by scripts/demo and scripts/test: a project venv, (re)installed when pyproject changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VEIL_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp="$VENV/.veil-installed-$(sha256sum pyproject.toml | cut -c1-16)-$extras"
  if [ ! -f "$stamp" ]; then
    echo "==> installing Veil and its dependencies ($extras)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[$extras]"
    rm -f "$VENV"/.veil-installed-*
    touch "$stamp"
  fi
}

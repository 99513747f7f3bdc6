#!/usr/bin/env bash
# render.sh: the manifests of this folder for one plan (issue 18). Writes into OUTDIR the
# ConfigMap ferry-plan holding the plan byte for byte, and copies of storage.yaml and the Job
# files with the plan's shard count as completions (and parallelism), the ferry image, the
# target registry and the claim's size put in. Then: kubectl apply -f OUTDIR/...
#
# Usage: render.sh PLAN OUTDIR
# Environment:
#   FERRY_IMAGE        the image with ferry in it (default: the example's
#                      registry.example.internal/tools/ferry:0.1.0)
#   FERRY_TARGET       the registry for import and verify, HOST[:PORT][/PREFIX] (default:
#                      the example's registry.dc2.example:5000/mirror)
#   FERRY_PARALLELISM  pods of a Job at once (default: one per shard)
#   FERRY_STORAGE      the size of the ferry-bundles claim (default: 200Gi)
#
# The plan's identity is the SHA-256 of its bytes, and every shard's bundle records it, so the
# ConfigMap must give ferry exactly the file `ferry plan` wrote; the ConfigMap carries that
# digest in its ferry.dev/plan annotation to compare with what ferry plan printed.
# Exit status: 0 when written, 64 for bad use, 65 for a plan that cannot go in a ConfigMap,
# 70 when a template no longer has a line this script rewrites.
set -euo pipefail

usage() { sed -n '2,/^set -euo pipefail/{/^set -euo pipefail/d;s/^# \{0,1\}//;p;}' "$0"; }
case ${1:-} in -h | --help) usage; exit 0 ;; esac
(($# == 2)) || { usage >&2; exit 64; }
plan=$1
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ -f $plan ]] || { echo "render.sh: no plan at $plan" >&2; exit 64; }
mkdir -p "$out"

python3 - "$here" "$plan" "$out" <<'PY'
import hashlib, json, os, re, sys

here, plan_path, out = sys.argv[1:4]
with open(plan_path, "rb") as f:
    plan_bytes = f.read()

def refuse(reason, status=65):
    print(f"render.sh: {plan_path}: {reason}", file=sys.stderr)
    sys.exit(status)

try:
    plan = json.loads(plan_bytes)
    shards = len(plan["shards"])
    text = plan_bytes.decode("ascii")
except (ValueError, KeyError, TypeError):
    refuse("not a ferry plan (JSON with a shards array, ASCII as ferry writes it)")
if shards < 1:
    refuse("the plan has no shards")
# Kubernetes keeps a ConfigMap's data under 1 MiB.
if len(plan_bytes) > 1_000_000:
    refuse(f"{len(plan_bytes)} bytes is too large for a ConfigMap; put the plan on the claim instead (README.md)")
if any(line != line.rstrip() for line in text.split("\n")) or "\t" in text:
    refuse("has trailing spaces or tabs; give the file ferry plan wrote")

env = os.environ
image = env.get("FERRY_IMAGE") or "registry.example.internal/tools/ferry:0.1.0"
target = env.get("FERRY_TARGET") or "registry.dc2.example:5000/mirror"
parallelism = env.get("FERRY_PARALLELISM") or str(shards)
storage = env.get("FERRY_STORAGE") or "200Gi"
if not parallelism.isdigit() or int(parallelism) < 1:
    refuse(f"FERRY_PARALLELISM={parallelism} is not a positive number", 64)
for name, value in (("FERRY_IMAGE", image), ("FERRY_TARGET", target), ("FERRY_STORAGE", storage)):
    if not re.fullmatch(r"[A-Za-z0-9._:/@-]+", value):
        refuse(f"{name}={value!r} has characters a plain YAML value cannot hold", 64)

# Which lines of which file render.sh rewrites; each must be there exactly once, so a template
# that drifted from them fails the rendering instead of keeping the example's values.
replacements = {
    "storage.yaml": [(r"(\n      storage:) 200Gi(?=\n)", storage)],
    "export-job.yaml": [(r'(\n    ferry\.dev/shards:) "4"(?=\n)', f'"{shards}"'), (r"(\n  completions:) 4(?=\n)", str(shards)),
                        (r"(\n  parallelism:) 4(?=\n)", parallelism),
                        (r"(\n          image:) registry\.example\.internal/tools/ferry:0\.1\.0(?=\n)", image)],
    "import-job.yaml": [(r'(\n    ferry\.dev/shards:) "4"(?=\n)', f'"{shards}"'), (r"(\n  completions:) 4(?=\n)", str(shards)),
                        (r"(\n  parallelism:) 4(?=\n)", parallelism),
                        (r"(\n          image:) registry\.example\.internal/tools/ferry:0\.1\.0(?=\n)", image),
                        (r"(\n            - --to\n            -) registry\.dc2\.example:5000/mirror(?=\n)", target)],
    "verify-job.yaml": [(r"(\n          image:) registry\.example\.internal/tools/ferry:0\.1\.0(?=\n)", image),
                        (r"(\n            - --registry\n            -) registry\.dc2\.example:5000/mirror(?=\n)", target)],
}
rendered = {}
for name, edits in replacements.items():
    with open(os.path.join(here, name)) as f:
        body = f.read()
    for pattern, value in edits:
        body, count = re.subn(pattern, lambda match: f"{match.group(1)} {value}", body)
        if count != 1:
            refuse(f"{name} has {count} lines matching {pattern!r}, not 1: update render.sh with the template", 70)
    rendered[name] = body
# Written only once every template rendered, so a refusal leaves no half-rendered folder.
for name, body in rendered.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(body)

# A literal block keeps the bytes: "|" keeps one final newline, "|-" none, "|+" all of them.
body = text.rstrip("\n")
trailing = len(text) - len(body)
chomp = {0: "|-", 1: "|"}.get(trailing, "|+")
lines = "".join(f"    {line}\n" if line else "\n" for line in body.split("\n"))
lines += "\n" * max(0, trailing - 1)
digest = "sha256:" + hashlib.sha256(plan_bytes).hexdigest()
with open(os.path.join(out, "plan-configmap.yaml"), "w") as f:
    f.write(f"""# The plan of this migration, byte for byte (render.sh). Its SHA-256 is in ferry.dev/plan.
apiVersion: v1
kind: ConfigMap
metadata:
  name: ferry-plan
  labels:
    app.kubernetes.io/name: ferry
  annotations:
    ferry.dev/plan: "{digest}"
    ferry.dev/shards: "{shards}"
data:
  plan.json: {chomp}
{lines}""")
print(f"render.sh: {shards} shard(s), plan {digest}: wrote {out}/plan-configmap.yaml, storage.yaml, export-job.yaml, import-job.yaml, verify-job.yaml")
PY

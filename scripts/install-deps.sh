#!/usr/bin/env bash
# Installs, from Debian's apt, exactly the packages Sluice needs that are missing.
# Idempotent: when everything is present it only runs dpkg-query and exits.
# Works as root, or as a user with sudo.
#
#   scripts/install-deps.sh            build and run dependencies
#   scripts/install-deps.sh --test     also what the test suite needs (sanitizer runtime, clang for fuzzing,
#                                      and the real programs the integration tests drive)
set -euo pipefail

build_packages=(
  cmake ninja-build g++ pkg-config
  libboost-dev libsimdjson-dev libzstd-dev librocksdb-dev prometheus-cpp-dev
  libyaml-cpp-dev libsnappy-dev libprotobuf-dev protobuf-compiler libre2-dev
  libcli11-dev libxxhash-dev libspdlog-dev libfmt-dev zlib1g-dev libconcurrentqueue-dev
  libssl-dev libcrypt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# The real shippers the integration tests drive: rsyslog (with omelasticsearch) from apt, and the
# libraries syslog-ng needs (syslog-ng itself conflicts with rsyslog, so scripts/fetch-test-shippers.sh
# unpacks it from its .deb instead of installing it).
test_packages=(
  clang libclang-rt-14-dev curl openssl python3
  rsyslog rsyslog-elasticsearch prometheus prometheus-alertmanager
  libivykis0 libjson-c5 libnet1 libwrap0 libcurl4 libglib2.0-0
)

wanted=("${build_packages[@]}")
if [[ ${1:-} == --test ]]; then
  wanted+=("${test_packages[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
apt_get=("${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=900)
if ! "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}"; then
  # A fresh machine may have never fetched the package lists.
  "${apt_get[@]}" update
  "${apt_get[@]}" install -y --no-install-recommends "${missing[@]}"
fi

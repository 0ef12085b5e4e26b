#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and build npusim, then:
#   tools/setup.sh run    simulate the main workload (Qwen3-32B decode, PR 112's
#                         fused QK-RoPE variant) on the default config and print the report
#   tools/setup.sh test   run the whole test suite
# Installs missing Debian packages with apt-get (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: tools/setup.sh run|test" >&2; }
# The argument first: a wrong one installs and builds nothing.
if [ "$#" -ne 1 ] || { [ "$1" != run ] && [ "$1" != test ]; }; then
  usage
  exit 2
fi

packages=(build-essential cmake pkg-config libsystemc-dev libyaml-cpp-dev
          libboost-program-options-dev libgtest-dev nlohmann-json3-dev zlib1g-dev
          parallel python3 python3-matplotlib python3-scipy)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

# A profile-guided build (README "Speed"): npusim built instrumented and
# trained on bench, the three heaviest full-size Qwen3-32B layers and a
# small decode step (a few seconds), then everything built with the
# profiles. The training is skipped while no source file is newer than the
# last one.
stamp=build/pgo-trained
if [ ! -f "$stamp" ] || [ -n "$(find isa sim workloads frontends tools/cli CMakeLists.txt -newer "$stamp" -print -quit)" ]; then
  echo "setup: building npusim instrumented and training it for the profile-guided build" >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNPUSIM_PGO=generate >/dev/null
  cmake --build build -j"$(nproc)" --target npusim
  find build -name '*.gcda' -delete
  build/bin/npusim bench --tasks 400 >/dev/null
  for w in qwen3_32b_decode_baseline qwen3_32b_decode_fused_qkrope qwen3_32b_decode_upstream_0427 \
           qwen3_32b_decode_step_small; do
    build/bin/npusim run -q --workload "configs/workloads/$w.yaml" >/dev/null
  done
  touch "$stamp"
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNPUSIM_PGO=use >/dev/null
cmake --build build -j"$(nproc)"

case "${1:-}" in
  run)
    exec build/bin/npusim run --hw configs/hw/a2a3.yaml \
      --workload configs/workloads/qwen3_32b_decode_fused_qkrope.yaml ;;
  test)
    exec ctest --test-dir build --output-on-failure -j"$(nproc)" ;;
  *)  # not reached: checked above
    usage
    exit 2 ;;
esac

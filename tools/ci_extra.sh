#!/usr/bin/env bash
# The checks .ci/run runs after the README's test command (`tools/setup.sh
# test`, which builds build/ with gcc and runs ctest there):
#   sanitize  clang build with ASan + UBSan and the fuzz harnesses in build-asan/
#             (cmake -DNPUSIM_FUZZ=ON), and the whole ctest suite there with leak
#             checks on
#   disasm    `npusim disasm --workload W` of the gcc build (build/) and of the
#             clang build (build-asan/) byte-identical for every configs/workloads/*.yaml
#   threads   clang build with ThreadSanitizer in build-tsan/ (cmake
#             -DNPUSIM_TSAN=ON, npusim only), and the runs that use the host
#             threads there: the three 32B layers generated on two threads,
#             the small decode step, bench; any report fails
#   fuzz      each harness tests/fuzz/NAME.cpp (build-asan/bin/fuzz_NAME) for
#             FUZZ_SECONDS (default 60) from its corpus tests/fuzz/corpus/NAME/
#             (new inputs go to build-asan/fuzz/NAME/corpus/, findings to
#             build-asan/fuzz/NAME/)
#
#   tools/ci_extra.sh [sanitize|disasm|threads|fuzz]...    (default: all four, in this order)
#
# Installs what it needs with apt-get (as root, or through sudo). Every stage
# runs even when an earlier one found something (a build that fails stops
# everything); the exit status is 1 when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

# llvm: llvm-symbolizer, for stack traces. chromium: the HTML report's test in
# a browser (Tools.html_report.chromium, skipped where it is missing), run by
# the sanitize stage's ctest; ~70 s to install on a fresh machine, not in
# tools/setup.sh so that users do not get a browser with the simulator.
packages=(clang libclang-rt-14-dev llvm chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "ci: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-60}
failed=()

export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

build_asan() {
  CXX=clang++ cmake -S . -B build-asan -DNPUSIM_FUZZ=ON >/dev/null
  cmake --build build-asan -j"$jobs"
}

stage_sanitize() {
  build_asan || { echo "ci: sanitize: the clang ASan/UBSan build failed" >&2; exit 1; }
  ctest --test-dir build-asan --output-on-failure -j"$jobs" || failed+=("sanitize: ctest under ASan/UBSan")
}

stage_disasm() {
  [ -x build/bin/npusim ] || { echo "ci: disasm: no gcc build in build/ (tools/setup.sh test makes it)" >&2; exit 1; }
  [ -x build-asan/bin/npusim ] || build_asan
  local out=build-asan/disasm w name n=0 bad=0
  mkdir -p "$out"
  for w in configs/workloads/*.yaml; do
    name=$(basename "$w" .yaml)
    n=$((n + 1))
    if ! build/bin/npusim disasm --workload "$w" -o "$out/$name.gcc.txt" ||
       ! build-asan/bin/npusim disasm --workload "$w" -o "$out/$name.clang.txt"; then
      echo "ci: disasm: $w: npusim disasm failed" >&2
      bad=$((bad + 1))
    elif ! cmp -s "$out/$name.gcc.txt" "$out/$name.clang.txt"; then
      echo "ci: disasm: $w: gcc and clang programs differ:" >&2
      diff "$out/$name.gcc.txt" "$out/$name.clang.txt" | head -n 20 >&2 || true
      bad=$((bad + 1))
    fi
  done
  echo "ci: disasm: $((n - bad)) of $n workloads byte-identical (gcc, clang)"
  ((bad == 0)) || failed+=("disasm: $bad workloads differ between gcc and clang, or failed")
}

# Every run that uses a second host thread: a layer's scope 3 generated on
# it (baseline, fused_qkrope, upstream_0427), validation in two parts and the
# decoding worker (every timing run of a full-size layer), the worker across
# the layers of a step and many kernels of their own (bench).
stage_threads() {
  CXX=clang++ cmake -S . -B build-tsan -DNPUSIM_TSAN=ON >/dev/null
  cmake --build build-tsan -j"$jobs" --target npusim || { echo "ci: threads: the clang TSan build failed" >&2; exit 1; }
  local runs=(
    "run -q --workload configs/workloads/qwen3_32b_decode_baseline.yaml"
    "run -q --workload configs/workloads/qwen3_32b_decode_fused_qkrope.yaml"
    "run -q --workload configs/workloads/qwen3_32b_decode_upstream_0427.yaml"
    "run -q --workload configs/workloads/qwen3_32b_decode_step_small.yaml"
    "bench --tasks 200"
  ) run n=0 bad=0
  mkdir -p build-tsan/logs
  for run in "${runs[@]}"; do
    n=$((n + 1))
    # shellcheck disable=SC2086  # the run's words
    if ! TSAN_OPTIONS=halt_on_error=1 build-tsan/bin/npusim $run >"build-tsan/logs/$n.log" 2>&1; then
      echo "ci: threads: npusim $run: FAILED; from build-tsan/logs/$n.log:" >&2
      grep -m1 -A30 -E 'WARNING: ThreadSanitizer|ERROR' "build-tsan/logs/$n.log" >&2 || tail -n 30 "build-tsan/logs/$n.log" >&2
      bad=$((bad + 1))
    fi
  done
  echo "ci: threads: $((n - bad)) of $n runs clean under ThreadSanitizer"
  ((bad == 0)) || failed+=("threads: $bad runs reported by ThreadSanitizer, or failed")
}

stage_fuzz() {
  [ -d build-asan ] || build_asan
  cmake --build build-asan -j"$jobs" >/dev/null
  local src name work dict status artifact
  for src in tests/fuzz/*.cpp; do
    name=$(basename "$src" .cpp)
    work=build-asan/fuzz/$name
    mkdir -p "$work/corpus"
    rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*
    dict=()
    [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
    status=0
    # The wall-clock guard: on a gradual out-of-memory libFuzzer first prints
    # a heap profile, which can take many minutes under ASan.
    timeout -k 10 $((fuzz_seconds + 60)) \
      build-asan/bin/fuzz_"$name" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/" "${dict[@]}" \
      "$work/corpus" "tests/fuzz/corpus/$name" >"$work/log" 2>&1 || status=$?
    if ((status == 124 || status == 137)); then
      echo "ci: fuzz: $name: FINDING: still running $((fuzz_seconds + 60)) s after it started, killed" \
           "(the input is lost if it had not been written yet)" >&2
    fi
    if ((status == 0)); then
      echo "ci: fuzz: $name: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$') runs in ${fuzz_seconds} s, nothing found"
      continue
    fi
    echo "ci: fuzz: $name: FINDING (exit $status); from $work/log:" >&2
    grep -m1 -A30 -E 'ERROR: |runtime error: |terminate called|^fuzz: ' "$work/log" >&2 || tail -n 40 "$work/log" >&2
    for artifact in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
      [ -e "$artifact" ] || continue
      echo "ci: fuzz: $name: the input, $artifact (first 2 KiB; reproduce: build-asan/bin/fuzz_$name $artifact):" >&2
      head -c 2048 "$artifact" | od -A d -c >&2
    done
    failed+=("fuzz: $name")
  done
}

stages=("$@")
((${#stages[@]})) || stages=(sanitize disasm threads fuzz)
for s in "${stages[@]}"; do
  case "$s" in
    sanitize | disasm | threads | fuzz) ;;
    *) echo "usage: tools/ci_extra.sh [sanitize|disasm|threads|fuzz]..." >&2; exit 2 ;;
  esac
done
for s in "${stages[@]}"; do
  start=$SECONDS
  "stage_$s"
  echo "ci: $s took $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s"
done
if ((${#failed[@]})); then
  echo "ci: FAILED:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "ci: all checks passed"

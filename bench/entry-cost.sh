#!/usr/bin/env bash
# What the host's signal handlers cost: bench_entry (bench/c/bench_entry.c)
# with no handlers and with Mono-like handlers, ROUNDS rounds interleaved,
# medians and their ratio. Run after the CMake build:
#
#   bash bench/entry-cost.sh [build dir] [rounds]
set -euo pipefail
build="${1:-build}"
rounds="${2:-5}"
bin="$build/tests/c/bench_entry"
lib="$build/liblightyear_conn.so"
[ -x "$bin" ] || { echo "no $bin: build with CMake first" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$rounds"); do
  "$bin" "$lib" --seconds 1 >>"$out"
  "$bin" "$lib" --seconds 1 --host-handlers >>"$out"
done
# Lines: "<none|handlers> <what> <unit> <value>"
awk '
  { v[$1 " " $2] = v[$1 " " $2] " " $4; unit[$2] = $3 }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    printf "%-8s %-6s %14s %14s %8s\n", "what", "unit", "no handlers", "handlers", "ratio"
    split("call tick1 tick10", order, " ")
    for (k = 1; k <= 3; k++) {
      w = order[k]; a = median(v["none " w]); b = median(v["handlers " w])
      printf "%-8s %-6s %14.2f %14.2f %8.2f\n", w, unit[w], a, b, b / a
    }
  }' "$out"

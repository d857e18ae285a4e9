#!/usr/bin/env bash
# Runs the C tests under valgrind's memcheck: invalid reads and writes,
# uses of uninitialised memory (system call arguments included) and
# definitely lost blocks (whatever the library or the test double mallocs
# and forgets, C.CString and the like) are errors.
#
#   tests/c/valgrind.sh [--quick] [BUILD_DIR]     (BUILD_DIR: build)
#
# Full: every C test and 20 s of fuzz_capi, about 2 minutes on 2 CPUs.
# --quick: test_api and test_steam, under a minute; the ctest test
# c_valgrind_quick. Exit 77 (skipped) without valgrind.
#
# Known: fuzz_capi under memcheck reports invalid writes inside the Go
# runtime's own memory (runtime.memclrNoHeapPointers, and recvmmsg into a
# server's receive buffers) at addresses memcheck believes unaddressable,
# after many goroutine stacks were made and freed. The suspected cause is
# memcheck marking memory below a moving stack pointer on Go's heap-allocated
# stacks, later reused by the heap; not proven, so not suppressed, and kept
# out of the quick run (it made that run fail now and then).
#
# The Go runtime confuses memcheck (it makes and moves goroutine stacks
# itself); tests/c/valgrind.supp suppresses those reports, by runtime
# function, and nothing else. They need symbols, which the CMake build
# strips, so this builds the library again with its symbol table (no
# DWARF: valgrind 3.19 cannot read Go's DWARF 5) into BUILD_DIR/valgrind
# and runs the test binaries against it (their RUNPATH gives way to
# LD_LIBRARY_PATH). Logs: BUILD_DIR/valgrind/<test>.log. Extra valgrind
# options go in VALGRIND_OPTS, e.g. VALGRIND_OPTS=--track-origins=yes.
#
# test_threads checks its call rate, which valgrind slows below its bar:
# there only memcheck's verdict counts.
set -euo pipefail

quick=0
if [ "${1:-}" = "--quick" ]; then
  quick=1
  shift
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
go=${GO:-go}

if ! command -v valgrind >/dev/null; then
  echo "valgrind not found: skipped (apt-get install valgrind)"
  exit 77
fi
for f in "$build/liblightyear_conn.so" "$build/tests/c/test_api"; do
  [ -e "$f" ] || { echo "$f missing: build first (cmake --build $build)"; exit 1; }
done

# The library again, with symbols; same name as the one the tests link.
vgdir="$build/valgrind"
mkdir -p "$vgdir"
soname=$(readlink "$build/liblightyear_conn.so")
echo "== building $vgdir/$soname with symbols"
(cd "$root" && CGO_ENABLED=1 "$go" build -buildmode=c-shared -trimpath -buildvcs=false \
  -ldflags "-w -extldflags=-Wl,-soname,$soname" -o "$vgdir/$soname" ./capi)
rm -f "$vgdir"/*.h
linked=$(LD_LIBRARY_PATH="$vgdir" ldd "$build/tests/c/test_api")
if [[ "$linked" != *"$vgdir/$soname"* ]]; then
  echo "the tests do not pick up $vgdir/$soname"
  exit 1
fi

if [ $quick = 1 ]; then
  tests=("test_api" "test_steam")
else
  tests=("test_api" "test_echo" "test_two_process" "test_threads" "test_local" "test_steam"
         "fuzz_capi --seconds 20 --seed 1")
fi

failed=0
start=$SECONDS
for t in "${tests[@]}"; do
  name=${t%% *}
  log="$vgdir/$name.log"
  t0=$SECONDS
  set +e
  (cd "$build/tests/c" && LD_LIBRARY_PATH="$vgdir" valgrind --tool=memcheck --error-exitcode=99 \
     --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
     --suppressions="$root/tests/c/valgrind.supp" --num-callers=40 ./$t) >"$log" 2>&1
  rc=$?
  set -e
  summary=$(grep -o "ERROR SUMMARY: [0-9]* errors from [0-9]* contexts (suppressed: [0-9]* from [0-9]*)" "$log" | tail -1)
  lost=$(grep -o "definitely lost: [0-9,]* bytes in [0-9,]* blocks" "$log" | tail -1)
  verdict=ok
  if [ $rc = 99 ] || ! grep -q "ERROR SUMMARY: 0 errors" "$log"; then
    verdict="MEMCHECK ERRORS"
    failed=1
  elif [ $rc != 0 ] && [ "$name" = test_threads ]; then
    verdict="ok (the test's own rate check failed, as expected under valgrind)"
  elif [ $rc != 0 ]; then
    verdict="TEST FAILED (exit $rc)"
    failed=1
  fi
  printf '%-18s %4ss  %s; %s: %s\n' "$name" $((SECONDS - t0)) "${summary:-no summary}" "${lost:-no leak summary}" "$verdict"
  if [ "$verdict" != ok ] && [ "$name" != test_threads ]; then
    # What went wrong, for ctest --output-on-failure: the reports and
    # the test's own output.
    grep -v -e "client switching stacks" -e "to suppress, use" -e "further instances" -e "address range perms" "$log" |
      grep -A 24 -e "Invalid \(read\|write\)" -e "uninitialised" -e "definitely lost in" -e "^[^=]" | head -120 || true
  fi
done
echo "valgrind: $((SECONDS - start)) s; logs in $vgdir"
if [ $failed != 0 ]; then
  echo "valgrind: FAILED (see the logs above)"
  exit 1
fi
echo "valgrind: OK"

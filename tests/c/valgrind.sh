#!/usr/bin/env bash
# Runs the C tests under valgrind's memcheck: invalid reads and writes,
# uses of uninitialised memory (system call arguments included) and
# definitely lost blocks (whatever the library or the test double mallocs
# and forgets, C.CString and the like) are errors.
#
#   tests/c/valgrind.sh [--quick] [BUILD_DIR]     (BUILD_DIR: build)
#
# Full: every C test and 20 s of fuzz_capi, about 2 minutes on 2 CPUs.
# --quick: test_api, test_steam, test_quiet and test_tick --quick (the tick in
# C, capi/tick.c and aead.c, with clients exchanging payloads), about a
# minute; the ctest test c_valgrind_quick. Exit 77 (skipped) without valgrind.
#
# Memcheck cannot follow Go's goroutine stacks: they live in the Go heap,
# and when the stack pointer moves from one to another less than
# --max-stackframe away memcheck takes it for a frame being pushed or
# popped and marks everything in between undefined or unaddressable, live
# Go objects and other goroutines' stacks included. Go code then "reads
# invalid memory" (1 run of test_api in ~120; fuzz_capi often). No
# max-stackframe avoids it (two goroutine stacks can be bytes apart), so
# this script sets aside the invalid reads and writes whose address memcheck
# describes as "in a rw- anonymous segment": memory that neither malloc (its
# blocks are described as blocks) nor a thread stack holds, which here is the
# Go runtime's own. The same holds for a system call's buffer there (a
# recvmmsg into the server's Go-allocated read buffers, reported as
# "points to unaddressable byte(s)" right after memcheck lost track of that
# memory: 1 fresh-clone run). They are counted and printed, not failed on. Every other
# report fails: accesses to malloc'd blocks and C stacks (a caller's buffer
# overrun by the library), uninitialised bytes in system calls, leaks.
#
# --fair-sched=yes: valgrind runs one thread at a time, and with its default
# lock a thread spinning in the Go runtime's locks can keep the lock's holder
# from running for minutes (one fresh-clone CI run timed out in test_api).
# Each test also has its own time limit (VALGRIND_TEST_TIMEOUT, 150 s).
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
  tests=("test_api" "test_steam" "test_quiet --rounds 10" "test_tick --quick")
else
  tests=("test_api" "test_echo" "test_two_process" "test_threads" "test_local" "test_steam" "test_quiet --rounds 10"
         "test_tick" "fuzz_capi --seconds 20 --seed 1")
fi

failed=0
start=$SECONDS
for t in "${tests[@]}"; do
  name=${t%% *}
  log="$vgdir/$name.log"
  t0=$SECONDS
  set +e
  (cd "$build/tests/c" && LD_LIBRARY_PATH="$vgdir" timeout -k 10 "${VALGRIND_TEST_TIMEOUT:-150}" \
     valgrind --tool=memcheck --fair-sched=yes \
     --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
     --suppressions="$root/tests/c/valgrind.supp" --num-callers=40 ./$t) >"$log" 2>&1
  rc=$?
  set -e
  summary=$(grep -o "ERROR SUMMARY: [0-9]* errors from [0-9]* contexts (suppressed: [0-9]* from [0-9]*)" "$log" | tail -1)
  lost=$(grep -o "definitely lost: [0-9,]* bytes in [0-9,]* blocks" "$log" | tail -1)
  # Memcheck's error contexts (each printed once; definite leaks count),
  # and those about the Go runtime's own memory (see the top). rc is the
  # test's own exit code: memcheck's verdict is read from the log.
  contexts=$(grep -o "ERROR SUMMARY: [0-9]* errors from [0-9]* contexts" "$log" | tail -1 | awk '{print $6}')
  go_memory=$(awk '
    / (Invalid read|Invalid write) of size/ { inblock = 1; next }
    /Syscall param .* points to unaddressable byte/ { inblock = 1; next }
    inblock && /Address 0x[0-9a-f]+ is in a rw- anonymous segment/ { g++; inblock = 0 }
    /^==[0-9]+== $/ { inblock = 0 }
    END { print g + 0 }' "$log")
  verdict=ok
  if [ $rc = 124 ] || [ $rc = 137 ]; then
    verdict="TIMED OUT after ${VALGRIND_TEST_TIMEOUT:-150} s"
    failed=1
  elif [ -z "$contexts" ] || [ $((contexts - go_memory)) -gt 0 ]; then
    verdict="MEMCHECK ERRORS"
    failed=1
  elif [ $rc != 0 ] && [ "$name" = test_threads ]; then
    verdict="ok (the test's own rate check failed, as expected under valgrind)"
  elif [ $rc != 0 ]; then
    verdict="TEST FAILED (exit $rc)"
    failed=1
  fi
  if [ "$go_memory" -gt 0 ]; then
    summary="$summary ($go_memory in the Go runtime's memory, set aside)"
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

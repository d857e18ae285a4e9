#!/usr/bin/env bash
# bindings/csharp/bench.sh - the C# benchmark next to C's bench_ffi: ns per
# Send and per PollEvent. Arguments go to the C# benchmark (--quick, --iters N).
exec bash "$(dirname "${BASH_SOURCE[0]}")/test.sh" --bench "$@"

package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

// The Go runtime's parallelism inside the C library (DESIGN.md, "The Go
// runtime between ticks"). A game drives a server from one thread: Go code
// runs only inside its calls, and with more than one P the runtime's
// monitor thread polls every 20 µs for most of each tick, waiting to take
// back the P the calling thread left behind, then wakes another thread to
// find nothing to do. With one P it takes the P back after one poll and
// sleeps until the next call: at 60 Hz with no clients, 2.4 instead of 40
// nanosleeps per tick (DESIGN.md; BENCHMARKS.md, lyload -mode ours-c).
//
// LIGHTYEAR_GOMAXPROCS sets it; else Go's own GOMAXPROCS; else 1. A host
// that runs Go code from several threads at once (servers updated in
// parallel) should set it to the number of such threads: with 1 they take
// turns. Only the C library does this: a Go program importing core/ keeps
// the runtime's own choice, and so do this package's tests.
func init() {
	if !builtAsCLibrary() {
		return
	}
	runtime.GOMAXPROCS(gomaxprocsFor(os.Getenv("LIGHTYEAR_GOMAXPROCS"), os.Getenv("GOMAXPROCS")))
}

// gomaxprocsFor chooses the number of Ps from the two variables: a valid
// LIGHTYEAR_GOMAXPROCS, else a valid GOMAXPROCS, else 1.
func gomaxprocsFor(ours, gos string) int {
	for _, v := range []string{ours, gos} {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

func builtAsCLibrary() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-buildmode" {
			return s.Value == "c-shared" || s.Value == "c-archive"
		}
	}
	return false
}

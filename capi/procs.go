package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

// The Go runtime's parallelism inside the C library (DESIGN.md, "The Go
// runtime between ticks"): LIGHTYEAR_GOMAXPROCS, when set to a number
// above 0, sets the number of Ps; otherwise the runtime keeps its own
// choice (Go's GOMAXPROCS variable, else the CPUs it may use).
//
// Measured with lyload -mode ours-c (BENCHMARKS.md), one P against two on
// this 2-CPU machine: about 15 % less CPU per payload at 100 clients,
// about 25 % more CPU per idle tick, no clear difference at 10 and 1000
// clients. With one P, threads that call the library at the same time
// take turns. Neither wins enough to impose it, so the default is the
// runtime's, and a host that knows it drives one server from one thread
// can choose 1. Only the C library reads the variable: a Go program
// importing core/ keeps the runtime's choice, and so do this package's
// tests.
func init() {
	if n, ok := gomaxprocsSetting(os.Getenv("LIGHTYEAR_GOMAXPROCS")); ok && builtAsCLibrary() {
		runtime.GOMAXPROCS(n)
	}
}

// gomaxprocsSetting reads LIGHTYEAR_GOMAXPROCS: a number above 0, or
// nothing (an empty or invalid value leaves the runtime's choice).
func gomaxprocsSetting(v string) (int, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
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

// Command cgoentry is a shared library with one exported Go function that
// does nothing, for run.sh: what a C program pays per tick for entering Go
// at all (DESIGN.md, "The Go runtime between ticks").
package main

import "C"

var calls int

//export bench_noop
func bench_noop() { calls++ }

func main() {}

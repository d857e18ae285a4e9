package main

/*
#include "tick.h"
*/
import "C"

// tickUpdateOnly runs the C half of ly_server_update alone (ly__tick_update),
// without the Go update a LY__TICK_CONTINUE asks for: a test can then put
// another thread's calls between the two halves, as a host with two threads
// may.
func tickUpdateOnly(h *cServer, dt float64) int {
	return int(C.ly__tick_update(C.uint64_t(serverBits(h)), C.double(dt)))
}

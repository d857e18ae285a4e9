package main

/*
#include "capi_internal.h"
*/
import "C"

import "runtime"

// The library's last init function (package main initialises after every
// package it imports): it tells entry.c that Go is ready, so that a host
// thread's first call waits for the runtime's initialisation with its
// signals open, where a garbage collector that stops threads with signals
// can stop it (hostsignals.c, "Waiting for the Go runtime").
func init() {
	// The first collection starts the runtime's mark workers and the
	// threads they run on. Done here, it starts them from a Go thread;
	// left to the first collection a host call triggers, that call would
	// start them with the host's signals blocked, and a thread start
	// (pthread_create, malloc) can wait on a lock held by a host thread
	// that the host's collector has stopped.
	runtime.GC()
	C.ly__go_initialised()
}

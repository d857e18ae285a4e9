//go:build !linux

package main

import "time"

// waitReadable: the tick tests that use it run on Linux only.
func waitReadable(fds []int, d time.Duration) bool { return false }

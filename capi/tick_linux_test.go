//go:build linux

package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// waitReadable waits up to d (whole milliseconds) for a datagram on one
// of fds, without reading it: true if one is there.
func waitReadable(fds []int, d time.Duration) bool {
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	for {
		n, err := unix.Poll(pfds, int(d/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0
	}
}

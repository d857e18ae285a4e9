//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "lyload: Linux only (the client process waits on its sockets with epoll)")
	os.Exit(1)
}

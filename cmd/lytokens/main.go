// Command lytokens is the HTTPS connect-token service (package
// tokenservice): it authenticates clients by JWT and answers netcode.io
// connect tokens sealed with the game servers' private key.
//
//	go run ./cmd/lytokens -dev
//
// starts it on 127.0.0.1 with a self-signed certificate, a random private
// key and a random HS256 secret, and prints a curl command to try it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "lytokens:", err)
		os.Exit(1)
	}
}

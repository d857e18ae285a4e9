// Command lyweb runs a netcode server for browser clients: UDP, WebSocket
// and WebTransport on one server, echoing payloads. It is the other end of
// the TypeScript client's tests and of manual browser tests.
//
//	go run ./cmd/lyweb -http 127.0.0.1:8081
//
// serves udp 127.0.0.1:40000, ws://127.0.0.1:8080 and wt 127.0.0.1:4433
// (self-signed, hashes printed), and on 127.0.0.1:8081 a development
// token endpoint: GET /token answers a fresh connect token for every
// transport as JSON, GET /cert-hash the WebTransport certificate hashes.
// The token endpoint hands tokens to anyone who asks, so it binds
// loopback only.
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
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "lyweb:", err)
		os.Exit(1)
	}
}

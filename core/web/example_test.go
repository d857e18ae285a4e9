package web_test

import (
	"log"
	"net/http"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/web"
)

// A server for UDP and browser clients at once, as README.md's "Serving
// browsers" shows it (compiled here, not run: it binds fixed ports).
func Example_serveBrowsers() {
	key, _ := netcode.GenerateKey()
	// doc-snippet: begin
	cfg := netcode.ServerConfig{ProtocolID: 0x1234, PrivateKey: key, MaxClients: 256}
	eps, err := web.Configure(&cfg, []string{
		"udp://127.0.0.1:40000",
		"ws://127.0.0.1:8080", // plain WebSocket: loopback only, for development
		"wt://127.0.0.1:4433", // WebTransport, self-signed: its hashes are served below
	}, web.Options{AllowedOrigins: []string{"http://localhost:5173"}}) // the page's origin
	if err != nil {
		log.Fatal(err)
	}
	server, _ := netcode.NewServer(cfg)
	server.Start() // opens the UDP socket and both listeners; tokens name all three
	defer server.Stop()

	// From the origin that serves the page (a browser cannot fetch it from
	// the self-signed WebTransport listener itself):
	http.Handle("GET /cert-hash", eps[1].Certs().Handler())
	// doc-snippet: end
}

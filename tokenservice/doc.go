// Package tokenservice is an HTTPS service that hands netcode.io connect
// tokens to authenticated clients.
//
// A client sends POST /v1/token with "Authorization: Bearer <credential>"
// and an optional JSON body {"tag": "..."}. The service authenticates the
// credential (Authenticator), picks servers (Directory), seals a connect
// token with the servers' private key and answers the 2048 bytes as
// application/octet-stream, or {"token", "expires_at", "addresses"} as JSON
// when the request accepts application/json.
//
// The service speaks TLS only (1.2 or later), including in development
// mode, where it makes a self-signed certificate whose SHA-256 fingerprint
// clients pin. Metrics in the Prometheus text format are served by a
// separate handler, meant for a separate (also TLS) listener.
package tokenservice

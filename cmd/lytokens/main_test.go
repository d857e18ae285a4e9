package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

func noEnv(string) string { return "" }

// startDev runs "lytokens -dev" with args until the test ends and returns
// the address it listens on and what it printed by then.
func startDev(t *testing.T, args ...string) (addr, out string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-dev"}, args...), noEnv, &stdout, io.Discard, func(a string) { ready <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready after 10 s")
	}
	return addr, stdout.String()
}

// findIn returns the first group of re in out, failing the test without one.
func findIn(t *testing.T, out, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, out)
	}
	return m[1]
}

// TestDevMode runs "lytokens -dev" on a free port and uses what it prints:
// the fingerprint to pin, the credential to authenticate, the key file to
// open the token.
func TestDevMode(t *testing.T) {
	addr, out := startDev(t, "-listen", "127.0.0.1:0", "-protocol-id", "0x42", "-metrics-listen", "127.0.0.1:0")
	find := func(re string) string { return findIn(t, out, re) }
	fp := find(`certificate SHA-256: ([0-9a-f]{64})`)
	cred := find(`test credential \(HS256[^)]*\): (\S+)`)
	keyPath := find(`private key \(hex, for a local game server\): (\S+)`)
	certPath := find(`certificate file: (\S+)`)
	metricsURL := find(`metrics: (https://\S+)`)
	if !strings.Contains(out, "curl --cacert "+certPath+" ") || !strings.Contains(out, "https://"+addr+"/v1/token") {
		t.Errorf("no usable curl line in:\n%s", out)
	}

	tc, err := tokenservice.PinnedClientTLS(fp)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: tc}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, "https://"+addr+"/v1/token", nil)
	req.Header.Set("Authorization", "Bearer "+cred)
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	// The metrics listener is TLS too, with the same certificate.
	mresp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if !strings.Contains(string(metrics), "lytokens_tokens_issued_total 1\n") {
		t.Errorf("metrics:\n%s", metrics)
	}
	key, err := tokenservice.LoadPrivateKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := netcode.ParseConnectToken(body)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := netcode.OpenPrivateToken(&tok.PrivateData, tok.ProtocolID, tok.ExpireTimestamp, &tok.Nonce, &key)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ProtocolID != 0x42 || priv.ClientID != 1 || tok.ServerAddresses[0].String() != "127.0.0.1:40000" {
		t.Errorf("protocol %#x client %d addresses %v", tok.ProtocolID, priv.ClientID, tok.ServerAddresses)
	}
}

func TestRefusedConfigurations(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)), 0o600)
	os.Chmod(keyFile, 0o644)
	env := func(k string) string {
		if k == envPrivateKey {
			return strings.Repeat("cd", 32)
		}
		return ""
	}
	for _, tc := range []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"dev on all interfaces", []string{"-dev", "-listen", "0.0.0.0:0"}, noEnv, "loopback"},
		{"dev metrics on all interfaces", []string{"-dev", "-listen", "127.0.0.1:0", "-metrics-listen", ":0"}, noEnv, "loopback"},
		{"no certificate", []string{"-listen", "127.0.0.1:0"}, env, "-cert and -key"},
		{"key file readable by others", []string{"-dev", "-listen", "127.0.0.1:0", "-private-key-file", keyFile}, noEnv, "0644"},
		{"key file and env", []string{"-dev", "-listen", "127.0.0.1:0", "-private-key-file", keyFile}, env, "both"},
		{"bad protocol id", []string{"-dev", "-protocol-id", "x"}, noEnv, "-protocol-id"},
		{"bad server", []string{"-dev", "-servers", "localhost"}, noEnv, "-servers"},
		{"redis and servers", []string{"-dev", "-servers", "127.0.0.1:1", "-redis", "127.0.0.1:6379"}, noEnv, "exclusive"},
		{"bad redis URL", []string{"-dev", "-listen", "127.0.0.1:0", "-redis", "redis://127.0.0.1:1/not-a-db"}, noEnv, "-redis"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, tc.args, tc.env, io.Discard, io.Discard, func(string) { t.Error("started") })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

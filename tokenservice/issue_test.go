package tokenservice

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

func TestIssueTokenOctetStream(t *testing.T) {
	servers := StaticDirectory{netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("[::1]:40001")}
	r := startRig(t, Config{ProtocolID: testProtocolID, Directory: servers, ExpireSeconds: 45, TimeoutSeconds: 7})
	c := claims("12345")
	c["team"] = "red"
	c["role"] = "pilot"
	c["secret_claim"] = "not in user data"
	cred := signHS(t, testSecret, c)
	before := time.Now().Unix()
	resp, body := r.post(t, cred, []byte(`{"tag":"eu"}`), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if len(body) != netcode.ConnectTokenSize {
		t.Fatalf("token of %d bytes", len(body))
	}
	tok, priv := openToken(t, body, r.key)
	if tok.ProtocolID != testProtocolID {
		t.Errorf("protocol id %#x", tok.ProtocolID)
	}
	if tok.CreateTimestamp < uint64(before) || tok.ExpireTimestamp != tok.CreateTimestamp+45 {
		t.Errorf("create %d expire %d, request at %d", tok.CreateTimestamp, tok.ExpireTimestamp, before)
	}
	if tok.TimeoutSeconds != 7 || priv.TimeoutSeconds != 7 {
		t.Errorf("timeout %d/%d", tok.TimeoutSeconds, priv.TimeoutSeconds)
	}
	if len(tok.ServerAddresses) != 2 || tok.ServerAddresses[0] != servers[0] || tok.ServerAddresses[1] != servers[1] {
		t.Errorf("addresses %v", tok.ServerAddresses)
	}
	if priv.ClientID != 12345 {
		t.Errorf("client id %d", priv.ClientID)
	}
	if tok.ClientToServerKey != priv.ClientToServerKey || tok.ServerToClientKey != priv.ServerToClientKey {
		t.Error("public and private keys differ")
	}
	ud := string(bytes.TrimRight(priv.UserData[:], "\x00"))
	if ud != `{"role":"pilot","team":"red"}` {
		t.Errorf("user data %q", ud)
	}
	if got := r.handler.Metrics().Issued(); got != 1 {
		t.Errorf("issued metric %d", got)
	}
	if logs := r.logs.String(); strings.Contains(logs, cred) || strings.Contains(logs, string(testSecret)) || !strings.Contains(logs, "token issued") {
		t.Errorf("logs hold a credential or miss the issue line:\n%s", logs)
	}
}

func TestIssueTokenJSON(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID})
	resp, body := r.post(t, signHS(t, testSecret, claims("7")), nil, "text/html, application/json;q=0.9")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var out struct {
		Token     string   `json:"token"`
		ExpiresAt uint64   `json:"expires_at"`
		Addresses []string `json:"addresses"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(out.Token)
	if err != nil {
		t.Fatal(err)
	}
	tok, priv := openToken(t, raw, r.key)
	if out.ExpiresAt != tok.ExpireTimestamp || priv.ClientID != 7 {
		t.Errorf("expires_at %d token %d client %d", out.ExpiresAt, tok.ExpireTimestamp, priv.ClientID)
	}
	if len(out.Addresses) != 1 || out.Addresses[0] != "127.0.0.1:40000" {
		t.Errorf("addresses %v", out.Addresses)
	}
}

func TestAcceptJSON(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                            false,
		"application/octet-stream":    false,
		"application/json":            true,
		"*/*, application/json;q=0.5": true,
		"application/json;q=0":        false,
		"application/jsonx":           false,
	} {
		if got := acceptsJSON(accept); got != want {
			t.Errorf("acceptsJSON(%q) = %v", accept, got)
		}
	}
}

func TestNoServersIs503(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID, Directory: StaticDirectory{}})
	resp, _ := r.post(t, signHS(t, testSecret, claims("1")), nil, "")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	if r.handler.Metrics().Refused(reasonNoServers) != 1 || r.handler.Metrics().Issued() != 0 {
		t.Error("metrics do not show the refusal")
	}
}

func TestBodies(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID})
	cred := signHS(t, testSecret, claims("1"))
	big := []byte(`{"tag":"` + strings.Repeat("a", MaxBodySize) + `"}`)
	for _, tc := range []struct {
		name string
		body []byte
		want int
	}{
		{"too big", big, http.StatusRequestEntityTooLarge},
		{"unknown field", []byte(`{"tag":"eu","admin":true}`), http.StatusBadRequest},
		{"two objects", []byte(`{"tag":"a"}{"tag":"b"}`), http.StatusBadRequest},
		{"not json", []byte(`tag=eu`), http.StatusBadRequest},
		{"empty", nil, http.StatusOK},
		{"tag", []byte(`{"tag":"eu-west"}`), http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := r.post(t, cred, tc.body, "")
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
		})
	}
	t.Run("too big, chunked", func(t *testing.T) {
		// A reader of unknown length is sent chunked, with no
		// Content-Length for the handler to check up front.
		req, _ := http.NewRequest(http.MethodPost, r.url, io.MultiReader(bytes.NewReader(big)))
		req.Header.Set("Authorization", "Bearer "+cred)
		if req.ContentLength != 0 {
			t.Fatalf("ContentLength %d: the request is not chunked", req.ContentLength)
		}
		resp, err := r.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	})
}

func TestMethodAndPath(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID})
	resp, err := r.client.Get(r.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d", resp.StatusCode)
	}
	resp, err = r.client.Post(strings.Replace(r.url, "/v1/token", "/v1/other", 1), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("other path: status %d", resp.StatusCode)
	}
}

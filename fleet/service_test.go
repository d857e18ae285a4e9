package fleet

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/internal/nctest"
	"github.com/lightyear-conn/lightyear_conn/internal/redistest"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

const (
	protocolID = 0x6c79666c656574
	issuer     = "https://auth.fleet.test"
	audience   = "fleet-test"
)

var secret = []byte("fleet-test-secret-0123456789abcdef0123456789")

// replica is one token-service instance on 127.0.0.1 over the shared
// fleet, with an HTTPS client pinned to its certificate.
type replica struct {
	url    string
	client *http.Client
}

func startReplica(t *testing.T, rdb redis.UniversalClient, prefix string, key netcode.Key, maxServers int) *replica {
	t.Helper()
	auth, err := tokenservice.NewJWTVerifier(tokenservice.JWTConfig{HS256Secret: secret, Issuer: issuer, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	h, err := tokenservice.NewHandler(tokenservice.Config{
		ProtocolID: protocolID,
		PrivateKey: key,
		Auth:       auth,
		Directory:  NewDirectory(rdb, prefix),
		MaxServers: maxServers,
		Logger:     log,
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tokenservice.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := tokenservice.NewServer(h, cert, log)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tc, err := tokenservice.PinnedClientTLS(tokenservice.Fingerprint(cert.Certificate[0]))
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: tc}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return &replica{url: "https://" + ln.Addr().String() + "/v1/token", client: &http.Client{Transport: tr, Timeout: 5 * time.Second}}
}

// token asks for a token for subject with tag; it answers the status and
// the raw token (when 200).
func (r *replica) token(t *testing.T, subject, tag string) (int, []byte) {
	t.Helper()
	now := time.Now()
	cred, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": issuer, "aud": audience, "sub": subject,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	if tag != "" {
		body = strings.NewReader(`{"tag":"` + tag + `"}`)
	}
	req, err := http.NewRequest(http.MethodPost, r.url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func tokenAddrs(t *testing.T, raw []byte) []netip.AddrPort {
	t.Helper()
	tok, err := netcode.ParseConnectToken(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tok.ServerAddresses
}

// TestReplicasShareFleet: two token services over one Redis both name the
// fleet least loaded first, respect the max and the tag, see a change
// made after they started, and both answer 503 once the fleet is full.
func TestReplicasShareFleet(t *testing.T) {
	rdb := redistest.Start(t)
	ctx := context.Background()
	key, err := netcode.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	reg := mustRegistrar(t)(NewRegistrar(rdb, "rep:", time.Minute))
	a, b, c := ap("127.0.0.1:43001"), ap("127.0.0.1:43002"), ap("127.0.0.1:43003")
	for _, e := range []Entry{
		{ID: "a", Addresses: []netip.AddrPort{a}, Capacity: 4, Connected: 3, Tags: []string{"eu"}},
		{ID: "b", Addresses: []netip.AddrPort{b}, Capacity: 4, Connected: 0, Tags: []string{"us"}},
		{ID: "c", Addresses: []netip.AddrPort{c}, Capacity: 4, Connected: 2, Tags: []string{"eu"}},
	} {
		if err := reg.Register(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	replicas := []*replica{startReplica(t, rdb, "rep:", key, 2), startReplica(t, rdb, "rep:", key, 2)}
	for i, r := range replicas {
		st, raw := r.token(t, "7", "")
		if st != http.StatusOK {
			t.Fatalf("replica %d: status %d %s", i, st, raw)
		}
		if got, want := tokenAddrs(t, raw), []netip.AddrPort{b, c}; !slices.Equal(got, want) {
			t.Errorf("replica %d: token names %v, want %v (max 2)", i, got, want)
		}
		st, raw = r.token(t, "7", "eu")
		if st != http.StatusOK {
			t.Fatalf("replica %d eu: status %d %s", i, st, raw)
		}
		if got, want := tokenAddrs(t, raw), []netip.AddrPort{c, a}; !slices.Equal(got, want) {
			t.Errorf("replica %d eu: token names %v, want %v", i, got, want)
		}
		if st, raw := r.token(t, "7", "asia"); st != http.StatusServiceUnavailable {
			t.Errorf("replica %d asia: status %d %s, want 503", i, st, raw)
		}
	}

	// Filled after the replicas started: both see it at once.
	for id, n := range map[string]int{"a": 4, "b": 4, "c": 4} {
		if err := reg.Heartbeat(ctx, id, n); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range replicas {
		if st, raw := r.token(t, "7", ""); st != http.StatusServiceUnavailable {
			t.Errorf("replica %d, full fleet: status %d %s, want 503", i, st, raw)
		}
	}
	if err := reg.Heartbeat(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	for i, r := range replicas {
		st, raw := r.token(t, "7", "")
		if st != http.StatusOK {
			t.Fatalf("replica %d: status %d %s", i, st, raw)
		}
		if got := tokenAddrs(t, raw); !slices.Equal(got, []netip.AddrPort{a}) {
			t.Errorf("replica %d: token names %v, want only %v", i, got, a)
		}
	}
}

// TestClientConnectsThroughFleet: a netcode server on 127.0.0.1 kept in
// the fleet by Registrar.Go; a client connects with a token from one of
// two replicas, and the heartbeat carries the new connected count to
// Redis.
func TestClientConnectsThroughFleet(t *testing.T) {
	rdb := redistest.Start(t)
	key, err := netcode.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	srv := nctest.StartServer(t, protocolID, key)

	const ttl = 600 * time.Millisecond
	reg := mustRegistrar(t)(NewRegistrar(rdb, "nc:", ttl))
	// The server is updated on this goroutine only; Run reads the count
	// this goroutine publishes.
	var connectedCount atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	wait := reg.Go(ctx, ServerEntry("gs-1", srv, "eu"), func() int { return int(connectedCount.Load()) }, nil)
	defer func() {
		stop()
		if err := wait(); err != nil {
			t.Error(err)
		}
	}()

	replicas := []*replica{startReplica(t, rdb, "nc:", key, 0), startReplica(t, rdb, "nc:", key, 0)}
	var raw []byte
	for deadline := time.Now().Add(2 * time.Second); ; {
		st, b := replicas[1].token(t, "4242", "eu")
		if st == http.StatusOK {
			raw = b
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no token: status %d %s", st, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := tokenAddrs(t, raw); !slices.Equal(got, srv.PublicAddresses()) {
		t.Fatalf("token names %v, want %v", got, srv.PublicAddresses())
	}

	cli, connected := nctest.Connect(t, srv, raw, func() { connectedCount.Store(int64(srv.NumConnected())) })
	const dt = nctest.Tick
	if connected != core.NetcodeID(4242) {
		t.Errorf("server saw client %v, want netcode 4242", connected)
	}

	// The next heartbeats (every TTL/3) report the client.
	for deadline := time.Now().Add(ttl); ; {
		n, err := rdb.HGet(context.Background(), "nc:server:gs-1", "connected").Result()
		if err == nil && n == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connected in Redis %q (%v), want 1", n, err)
		}
		// Keep the connection alive while waiting.
		cli.Update(dt)
		srv.Update(dt)
		time.Sleep(dt)
	}
}

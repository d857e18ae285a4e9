package netcode

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

func neverExpires(p *TokenParams) { p.ExpireSeconds = -1 }

// memServerConfig is a server on a fixed in-memory address, so that tokens
// made before a restart still name it.
func memServerConfig(r *rig, maxClients int) ServerConfig {
	cfg := r.serverConfig(maxClients)
	cfg.Addresses = []netip.AddrPort{netip.AddrPortFrom(r.ip, 40000)}
	return cfg
}

// handshake connects one client with token to s, stepping only the two of
// them (a rig step would update every client made so far). The wall clock
// stands still: the handshake takes 0.1 s of the protocol's time (the
// response waits for the client's send interval), and thousands of them
// would otherwise outlive the tokens of a test.
func handshake(t *testing.T, r *rig, s *Server, id uint64, token []byte) *Client {
	t.Helper()
	c := NewClient(token, ClientConfig{ClientID: id, Dial: r.dial})
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Connect())
	for k := 0; c.State() != core.StateConnected; k++ {
		require.Less(t, k, 20, "client %d: %v", id, c.State())
		require.NoError(t, c.Update(10*time.Millisecond))
		require.NoError(t, s.Update(10*time.Millisecond))
	}
	r.drain([]*Server{s})
	return c
}

// leave closes c (which tells the server) and lets the server see it.
func leave(t *testing.T, r *rig, s *Server, c *Client) {
	t.Helper()
	require.NoError(t, c.Close())
	r.stepOnly(0, []*Server{s}, nil)
	require.Zero(t, s.NumConnected())
	r.events = r.events[:0]
}

// refusedForGood sends token's request from a fresh address and requires
// the server to drop it as a reused token: no answer, DroppedRejected.
func refusedForGood(t *testing.T, r *rig, s *Server, token []byte, what string) {
	t.Helper()
	tr, err := r.listen(netip.AddrPortFrom(r.ip, 0))
	require.NoError(t, err)
	defer tr.Close()
	before := s.Stats()
	write(t, tr, requestBytes(t, token), s.PublicAddresses()[0])
	require.NoError(t, s.Update(0))
	after := s.Stats()
	require.Equal(t, uint64(1), after.DroppedRejected-before.DroppedRejected, what)
	require.Equal(t, before.PacketsSent, after.PacketsSent, what)
}

// The must-show: 10,000 connections with tokens that never expire,
// one after another on one server (with a Stop and Start every 1,000), all
// admitted; every token stays consumed, so each is still refused if used
// again. The old history (2048 entries, never-expiring tokens never
// forgotten) refused connection 2049 and every later one.
func TestNeverExpiringTokens10000(t *testing.T) {
	const n = 10_000
	r, _ := newMemRig(t)
	s := r.startServer(memServerConfig(r, 4))
	srv := s.PublicAddresses()
	tokens := make([][]byte, 0, 3)
	for i := 0; i < n; i++ {
		tok := r.token(uint64(i), srv, neverExpires)
		if i == 0 || i == 2048 || i == n-1 {
			tokens = append(tokens, tok)
		}
		leave(t, r, s, handshake(t, r, s, uint64(i), tok))
		if i%1000 == 999 {
			require.NoError(t, s.Stop())
			require.NoError(t, s.Start())
		}
	}
	require.Equal(t, n, s.tokens.len(), "every never-expiring token is remembered")
	require.Zero(t, s.Stats().DroppedTableFull)
	for i, tok := range tokens {
		refusedForGood(t, r, s, tok, []string{"the first token", "token 2049", "the last token"}[i])
	}
}

// A burst of valid tokens larger than the old history (2048) leaves room
// for the next player; with a configured bound the burst fills it, the
// refusals are counted and raise one warning a second, and joins resume
// once the burst's tokens expire.
func TestTokenHistoryBurst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int // 0: the default
		burst int
	}{
		{"default size", 0, 3000},
		{"bounded", 64, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newMemRig(t)
			cfg := memServerConfig(r, 4)
			cfg.TokenHistorySize = tc.limit
			s := r.startServer(cfg)
			srv := s.PublicAddresses()
			// The burst: requests with fresh tokens, all from one address
			// (each new token replaces that address's handshake, so only
			// the history grows).
			tr, err := r.listen(netip.AddrPortFrom(r.ip, 0))
			require.NoError(t, err)
			defer tr.Close()
			for i := 0; i < tc.burst; i++ {
				write(t, tr, requestBytes(t, r.token(uint64(100_000+i), srv)), srv[0])
				if i%64 == 63 {
					require.NoError(t, s.Update(0))
				}
			}
			require.NoError(t, s.Update(0))
			st := s.Stats()
			events := r.takeEvents()
			if tc.limit == 0 {
				require.Equal(t, tc.burst, s.tokens.len())
				require.Zero(t, st.DroppedTableFull)
				require.Empty(t, events)
				leave(t, r, s, handshake(t, r, s, 1, r.token(1, srv)))
				return
			}
			require.Equal(t, tc.limit, s.tokens.len())
			require.Equal(t, uint64(tc.burst-tc.limit), st.DroppedTableFull)
			require.Equal(t, []core.Event{{Type: core.EventWarning, Client: core.NetcodeID(100_000 + uint64(tc.limit)),
				Warning: core.WarningTokenHistoryFull}}, events, "one warning for the whole second, naming the first refused client")

			// A player is refused (counted) while the burst's tokens live;
			// the warning comes back a second later, not before.
			c := NewClient(r.token(1, srv), ClientConfig{ClientID: 1, Dial: r.dial})
			defer c.Close()
			require.NoError(t, c.Connect())
			for i := 0; i < 5; i++ {
				r.stepOnly(100*time.Millisecond, []*Server{s}, []*Client{c})
			}
			require.Equal(t, core.StateSendingRequest, c.State())
			require.Greater(t, s.Stats().DroppedTableFull, st.DroppedTableFull)
			require.Empty(t, r.takeEvents(), "less than a second since the last warning")
			r.stepOnly(600*time.Millisecond, []*Server{s}, []*Client{c})
			require.Equal(t, []core.Event{{Type: core.EventWarning, Client: core.NetcodeID(1),
				Warning: core.WarningTokenHistoryFull}}, r.takeEvents())
			require.NoError(t, c.Close())

			// Once the burst's 30 s tokens expire, joins resume.
			r.now = r.now.Add(30 * time.Second)
			require.NoError(t, s.Update(time.Second))
			require.Zero(t, s.tokens.len(), "expired tokens forgotten by the sweep")
			leave(t, r, s, handshake(t, r, s, 2, r.token(2, srv)))
		})
	}
}

// 1,000 stop/start cycles, three joins each, with 30 s tokens: 3,000
// tokens alive at once, more than the old history held (it locked every
// join out until the oldest expired). Nobody is refused.
func TestTokenHistoryChurn(t *testing.T) {
	const cycles, joins = 1000, 3
	r, _ := newMemRig(t)
	s := r.startServer(memServerConfig(r, joins))
	srv := s.PublicAddresses()
	start := r.now
	for cycle := 0; cycle < cycles; cycle++ {
		r.now = r.now.Add(10 * time.Millisecond) // 1,000 cycles in 10 s
		cs := make([]*Client, joins)
		for j := range cs {
			id := uint64(cycle*joins + j)
			cs[j] = handshake(t, r, s, id, r.token(id, srv))
		}
		require.Equal(t, joins, s.NumConnected())
		require.NoError(t, s.Stop())
		for _, c := range cs {
			require.NoError(t, c.Close())
		}
		require.NoError(t, s.Start())
		r.events = r.events[:0]
	}
	require.Less(t, r.now.Sub(start), 30*time.Second, "every token was alive at the end")
	require.Equal(t, cycles*joins, s.tokens.len())
	require.Zero(t, s.Stats().DroppedTableFull)
}

// The pending table: full, it refuses a new address (counted, one warning
// naming the refused client); a resend from an address it holds still gets
// its challenge; handshakes that go quiet free their slots at the next
// sweep, for tokens without a timeout too (10 s), and joins resume.
func TestPendingTableFull(t *testing.T) {
	const limit = 4
	r, _ := newMemRig(t)
	cfg := memServerConfig(r, 8)
	cfg.MaxPending = limit
	s := r.startServer(cfg)
	srv := s.PublicAddresses()
	noTimeout := func(p *TokenParams) { p.TimeoutSeconds = 0 }
	socks := make([]transport.Transport, limit+1)
	reqs := make([][]byte, limit+1)
	for i := range socks {
		tr, err := r.listen(netip.AddrPortFrom(r.ip, 0))
		require.NoError(t, err)
		defer tr.Close()
		socks[i] = tr
		opts := []tokenOpt{}
		if i%2 == 0 {
			opts = append(opts, neverExpires, noTimeout)
		}
		reqs[i] = requestBytes(t, r.token(uint64(200+i), srv, opts...))
	}
	for i, tr := range socks {
		write(t, tr, reqs[i], srv[0])
	}
	require.NoError(t, s.Update(0))
	require.Len(t, s.pending, limit)
	require.Equal(t, uint64(1), s.Stats().DroppedTableFull)
	require.Equal(t, []core.Event{{Type: core.EventWarning, Client: core.NetcodeID(200 + limit),
		Warning: core.WarningPendingFull}}, r.takeEvents())
	sent := s.Stats().PacketsSent
	write(t, socks[0], reqs[0], srv[0]) // a resend: its slot is its own
	require.NoError(t, s.Update(0))
	require.Equal(t, sent+1, s.Stats().PacketsSent, "the resend is answered")

	// Quiet: the 5 s timeouts go after 5 s, the tokens without one after
	// pendingQuietLimit.
	for i := 0; i < 7; i++ {
		r.stepOnly(time.Second, []*Server{s}, nil)
	}
	require.Len(t, s.pending, 2, "tokens without a timeout are still pending after 7 s")
	for i := 0; i < 5; i++ {
		r.stepOnly(time.Second, []*Server{s}, nil)
	}
	require.Empty(t, s.pending)
	c := handshake(t, r, s, 300, r.token(300, srv))
	require.NotNil(t, c)
	require.Equal(t, uint64(1), s.Stats().DroppedTableFull)
}

// The history forgets tokens exactly when they expire, soonest first, and
// keeps never-expiring ones.
func TestTokenHistoryExpiryOrder(t *testing.T) {
	const n = 2000
	h := newTokenHistory(n + 10)
	rng := rand.New(rand.NewPCG(3, 4))
	expires := map[tokenKey]uint64{}
	for i := 0; i < n; i++ {
		k := tokenKey(rng.Uint64())
		e := uint64(1000 + rng.IntN(500))
		if i%10 == 0 {
			e = NeverExpires
		}
		require.False(t, h.full(0))
		h.add(k, tokenUse{}, e)
		expires[k] = e
	}
	for now := uint64(990); now <= 1510; now += 7 {
		h.forget(now)
		for k, e := range expires {
			_, ok := h.lookup(k)
			require.Equal(t, e > now, ok, "token expiring at %d, now %d", e, now)
		}
	}
	require.Equal(t, n/10, h.len())
	require.Empty(t, h.expiry)
}

// memorySizes are the table sizes the memory tests sweep: each just past a
// boundary where a Go map grows (a table of 8 to 1,024 slots holds 7/8 of
// them; a full one splits in two), or where measurements found the most
// bytes per entry (1,961, 3,852, 121,214 and 501,868: the tables have
// split and the expiry heap has just grown), and the defaults.
func memorySizes() []int {
	sizes := []int{57, 113, 225, 449, 897, 898, 1_793, 1_961, 3_585, 3_852, 7_169, 14_337, 16_384, 57_345, 121_214}
	if !testing.Short() {
		sizes = append(sizes, 229_377, 458_753, 501_868, DefaultTokenHistorySize)
	}
	return sizes
}

// heapPerEntry returns the heap that tables of n entries take per entry:
// build makes one, and enough are kept alive at once (at least 200,000
// entries in all) that the allocations of the runtime and of the test
// itself are lost in the average.
func heapPerEntry(n int, build func(n, nth int) any) float64 {
	tables := make([]any, max(1, 200_000/n))
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := range tables {
		tables[i] = build(n, i)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(tables)
	return float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(n*len(tables))
}

// A history entry costs at most TokenHistoryEntryBytes of heap at every
// size, so the documented bound (entries × bytes) holds.
func TestTokenHistoryMemory(t *testing.T) {
	from := netip.MustParseAddrPort("[2001:db8::1]:40000")
	for _, n := range memorySizes() {
		per := heapPerEntry(n, func(n, nth int) any {
			h := newTokenHistory(n)
			for i := 0; i < n; i++ {
				k := uint64(nth*n+i) * 0x9e3779b97f4a7c15
				h.add(tokenKey(k), newTokenUse(from), uint64(1000+i%97))
			}
			return &h
		})
		t.Logf("%d entries: %.1f bytes each", n, per)
		require.LessOrEqual(t, per, float64(TokenHistoryEntryBytes), "%d entries", n)
	}
}

// A handshake in progress costs at most PendingEntryBytes of heap at every
// size: its slot in the server's pending map and a pendingClient with its
// two AEADs, made as handleRequest makes them.
func TestPendingMemory(t *testing.T) {
	var c2s, s2c Key
	for _, n := range memorySizes() {
		per := heapPerEntry(n, func(n, nth int) any {
			pending := make(map[netip.AddrPort]*pendingClient)
			for i := 0; i < n; i++ {
				k := uint64(nth*n+i) * 0x9e3779b97f4a7c15
				var ip [16]byte
				binary.BigEndian.PutUint64(ip[:8], 0x20010db8<<32)
				binary.BigEndian.PutUint64(ip[8:], k)
				from := netip.AddrPortFrom(netip.AddrFrom16(ip), uint16(k))
				pending[from] = &pendingClient{
					token:      tokenKey(k),
					c2s:        newAEAD(&c2s),
					s2c:        newAEAD(&s2c),
					timeout:    5 * time.Second,
					expireUnix: 1000,
				}
			}
			return pending
		})
		t.Logf("%d handshakes: %.1f bytes each", n, per)
		require.LessOrEqual(t, per, float64(PendingEntryBytes), "%d handshakes", n)
	}
}

package netcode

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// Attacks on a server over real UDP sockets on 127.0.0.1, each one a
// datagram an attacker could really put on the wire: captured from a real
// client by a relay on its path, built from a stolen token, forged or
// flooded from raw sockets. The clock is the rig's simulated one. On
// loopback a datagram is readable as soon as its send returns, so "the
// server did not answer" is checked by reading the attacker's socket right
// after the server's Update.

var attackIP = netip.MustParseAddr("127.0.0.1")

// attacker is a raw UDP socket on 127.0.0.1 that counts what it sends and
// what comes back.
type attacker struct {
	t                    testing.TB
	tr                   *transport.UDP
	sentPkts, recvPkts   int
	sentBytes, recvBytes int
	maxRecv              int // the largest datagram received
	rx                   []transport.Message
}

func newAttacker(t testing.TB) *attacker {
	t.Helper()
	tr, err := transport.ListenUDP(netip.AddrPortFrom(attackIP, 0))
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	a := &attacker{t: t, tr: tr, rx: make([]transport.Message, 64)}
	for i := range a.rx {
		a.rx[i].Buf = make([]byte, transport.MaxDatagram)
	}
	return a
}

func (a *attacker) addr() netip.AddrPort { return a.tr.LocalAddr() }

func (a *attacker) send(pkt []byte, to netip.AddrPort) {
	a.t.Helper()
	write(a.t, a.tr, pkt, to)
	a.sentPkts++
	a.sentBytes += len(pkt)
}

// sendBatch sends msgs in one system call where the platform has one.
func (a *attacker) sendBatch(msgs []transport.Message) {
	a.t.Helper()
	n, err := a.tr.WriteBatch(msgs)
	require.NoError(a.t, err)
	require.Equal(a.t, len(msgs), n)
	for _, m := range msgs {
		a.sentPkts++
		a.sentBytes += m.N
	}
}

// received reads every datagram waiting on the socket and returns copies.
func (a *attacker) received() []transport.Message {
	a.t.Helper()
	var out []transport.Message
	for {
		n, err := a.tr.ReadBatch(a.rx)
		require.NoError(a.t, err)
		for _, m := range a.rx[:n] {
			a.recvPkts++
			a.recvBytes += m.N
			a.maxRecv = max(a.maxRecv, m.N)
			out = append(out, transport.Message{Buf: bytes.Clone(m.Buf[:m.N]), N: m.N, Addr: m.Addr})
		}
		if n == 0 { // a short batch does not mean an empty socket
			return out
		}
	}
}

func (a *attacker) requireSilent(what string) {
	a.t.Helper()
	got := a.received()
	require.Empty(a.t, got, "%s: the server answered %d datagram(s)", what, len(got))
}

// relay is an attacker on the client's path: the client's token sends it
// to the relay, which forwards both ways and keeps a copy of every
// datagram the client sends. To the server the relay's address is the
// client's, so what the relay sends is sent "from the client's address".
type relay struct {
	*attacker
	server netip.AddrPort
	client netip.AddrPort    // the last client address seen
	up     [][]byte          // every datagram from the client, in order
	hold   func([]byte) bool // true: keep the client's datagram back
	held   [][]byte          // what hold kept back
}

func newRelay(t testing.TB, server netip.AddrPort) *relay {
	return &relay{attacker: newAttacker(t), server: server}
}

func (rl *relay) pump() {
	for _, m := range rl.received() {
		if sameAddr(m.Addr, rl.server) {
			if rl.client.IsValid() {
				rl.send(m.Buf, rl.client)
			}
			continue
		}
		rl.client = m.Addr
		rl.up = append(rl.up, m.Buf)
		if rl.hold != nil && rl.hold(m.Buf) {
			rl.held = append(rl.held, m.Buf)
			continue
		}
		rl.send(m.Buf, rl.server)
	}
}

// step moves the clock by dt: the clients, the relay, the server, the relay.
func (rl *relay) step(r *rig, s *Server, dt time.Duration, clients ...*Client) {
	rl.t.Helper()
	r.now = r.now.Add(dt)
	for _, c := range clients {
		require.NoError(rl.t, c.Update(dt))
	}
	rl.pump()
	require.NoError(rl.t, s.Update(dt))
	r.drain([]*Server{s})
	rl.pump()
}

func (rl *relay) until(r *rig, s *Server, limit time.Duration, what string, cond func() bool, clients ...*Client) {
	rl.t.Helper()
	for elapsed := time.Duration(0); !cond(); elapsed += 10 * time.Millisecond {
		if elapsed > limit {
			rl.t.Fatalf("%s: not reached after %v", what, limit)
		}
		rl.step(r, s, 10*time.Millisecond, clients...)
	}
}

// internal makes a token whose private part names s while the client is
// sent to whatever public address the token lists (a relay).
func internal(s *Server) tokenOpt {
	return func(p *TokenParams) { p.InternalAddresses = s.PublicAddresses() }
}

func packetType(b []byte) PacketType {
	if len(b) == 0 {
		return numPacketTypes
	}
	return PacketType(b[0] & 0xf)
}

func ofType(pkts [][]byte, types ...PacketType) [][]byte {
	var out [][]byte
	for _, p := range pkts {
		for _, t := range types {
			if packetType(p) == t {
				out = append(out, p)
			}
		}
	}
	return out
}

// requestBytes is the request packet a client sends for a token: what an
// eavesdropper who saw the token (or its first request) can send.
func requestBytes(t testing.TB, token []byte) []byte {
	t.Helper()
	tok, err := ParseConnectToken(token)
	require.NoError(t, err)
	var req [requestPacketSize]byte
	writeRequest(&req, tok)
	return req[:]
}

// sealWithToken seals a client-to-server packet with a token's key, as the
// token's client would at that sequence.
func sealWithToken(t testing.TB, token []byte, typ PacketType, seq uint64, body []byte) []byte {
	t.Helper()
	tok, err := ParseConnectToken(token)
	require.NoError(t, err)
	var cd codec
	cd.init(tok.ProtocolID)
	buf := make([]byte, maxPacketSize)
	copy(buf[headerSize(seq):], body)
	return cd.seal(buf, typ, seq, len(body), newAEAD(&tok.ClientToServerKey))
}

func payloadsOf(evs []core.Event, id core.ClientID) []string {
	var out []string
	for _, ev := range evs {
		if ev.Type == core.EventPayload && ev.Client == id {
			out = append(out, string(ev.Payload))
		}
	}
	return out
}

func mustClientStats(t testing.TB, s *Server, id core.ClientID) core.Stats {
	t.Helper()
	st, ok := s.ClientStats(id)
	require.True(t, ok, "%v not connected", id)
	return st
}

// drainTransport reads and discards what waits on tr, returning how many
// datagrams there were.
func drainTransport(t testing.TB, tr transport.Transport) int {
	t.Helper()
	msgs := make([]transport.Message, 32)
	for i := range msgs {
		msgs[i].Buf = make([]byte, transport.MaxDatagram)
	}
	total := 0
	for {
		n, err := tr.ReadBatch(msgs)
		require.NoError(t, err)
		total += n
		if n < len(msgs) {
			return total
		}
	}
}

// 1. Payload, keep-alive and disconnect packets captured on the client's
// path and replayed from the client's address are dropped as replays,
// nothing is delivered twice, and a replayed disconnect (from an earlier
// session with the same client id, same address) disconnects nobody.
func TestAttackReplay(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	srv := s.PublicAddresses()[0]
	rl := newRelay(t, srv)
	id := core.NetcodeID(1)

	// Session 1, through the relay.
	c := r.client(1, r.token(1, []netip.AddrPort{rl.addr()}, internal(s)))
	require.NoError(t, c.Connect())
	rl.until(r, s, time.Second, "session 1", func() bool { return c.State() == core.StateConnected && s.NumConnected() == 1 }, c)
	for _, p := range []string{"one", "two", "three"} {
		require.NoError(t, c.Send([]byte(p)))
		rl.step(r, s, 10*time.Millisecond, c)
	}
	for i := 0; i < 30; i++ { // keep-alives both ways
		rl.step(r, s, 10*time.Millisecond, c)
	}
	require.Equal(t, []string{"one", "two", "three"}, payloadsOf(r.takeEvents(), id))
	captured := ofType(rl.up, PacketPayload, PacketKeepAlive)
	require.Len(t, ofType(captured, PacketPayload), 3)
	require.GreaterOrEqual(t, len(ofType(captured, PacketKeepAlive)), 2)

	// Replay them from the client's address three times, the last time in
	// reverse order.
	before, cBefore := s.Stats(), mustClientStats(t, s, id)
	for round := 0; round < 3; round++ {
		for i := range captured {
			p := captured[i]
			if round == 2 {
				p = captured[len(captured)-1-i]
			}
			rl.send(p, srv)
		}
	}
	require.NoError(t, s.Update(0))
	after, cAfter := s.Stats(), mustClientStats(t, s, id)
	n := uint64(3 * len(captured))
	require.Equal(t, n, after.DroppedReplayed-before.DroppedReplayed)
	require.Equal(t, n, after.Dropped()-before.Dropped())
	require.Equal(t, n, cAfter.DroppedReplayed-cBefore.DroppedReplayed)
	require.Equal(t, before.PacketsSent, after.PacketsSent)
	rl.requireSilent("replayed payloads and keep-alives")
	require.Empty(t, r.takeEvents(), "nothing delivered twice")

	require.NoError(t, c.Send([]byte("four")))
	rl.step(r, s, 10*time.Millisecond, c)
	require.Equal(t, []string{"four"}, payloadsOf(r.takeEvents(), id), "the client is unaffected")

	// The client leaves: ten redundant disconnects, one disconnection.
	require.NoError(t, c.Disconnect())
	rl.step(r, s, 10*time.Millisecond)
	evs := r.takeEvents()
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: id, Reason: core.ReasonRemote}}, evs)
	disc := ofType(rl.up, PacketDisconnect)
	require.Len(t, disc, disconnectRedundancy)
	session1 := append([][]byte(nil), rl.up...)

	// Replayed now, the disconnects find no connection.
	before = s.Stats()
	for _, p := range disc {
		rl.send(p, srv)
	}
	require.NoError(t, s.Update(0))
	after = s.Stats()
	require.Equal(t, uint64(len(disc)), after.DroppedUnknownAddress-before.DroppedUnknownAddress)
	require.Empty(t, r.takeEvents())
	rl.requireSilent("replayed disconnects, nobody connected")

	// Session 2: the same client id with a fresh token (fresh keys) through
	// the same relay, so the server sees the same address again.
	c2 := r.client(1, r.token(1, []netip.AddrPort{rl.addr()}, internal(s)))
	require.NoError(t, c2.Connect())
	rl.until(r, s, time.Second, "session 2", func() bool { return c2.State() == core.StateConnected && s.NumConnected() == 1 }, c2)
	for i := 0; i < 20; i++ {
		rl.step(r, s, 10*time.Millisecond, c2)
	}
	addr, ok := s.ClientAddr(id)
	require.True(t, ok)
	require.Equal(t, rl.addr(), addr)
	r.takeEvents()

	// Everything session 1 sent (request, responses, keep-alives, payloads,
	// the ten disconnects), replayed from that address into session 2.
	before, cBefore = s.Stats(), mustClientStats(t, s, id)
	for _, p := range session1 {
		rl.send(p, srv)
	}
	require.NoError(t, s.Update(0))
	after, cAfter = s.Stats(), mustClientStats(t, s, id)
	require.Equal(t, 1, s.NumConnected(), "a replayed disconnect disconnected the client")
	require.Empty(t, r.takeEvents(), "no payload, no disconnection")
	require.Equal(t, uint64(len(session1)), after.Dropped()-before.Dropped())
	requests := len(ofType(session1, PacketRequest)) // refused before the connection's own checks
	require.Equal(t, uint64(len(session1)-requests), cAfter.Dropped()-cBefore.Dropped())
	require.Equal(t, before.PacketsSent, after.PacketsSent)
	rl.requireSilent("session 1 replayed into session 2")

	// Session 2's own packets replayed: dropped as replays as well.
	own := ofType(rl.up[len(session1):], PacketPayload, PacketKeepAlive)
	require.NotEmpty(t, own)
	before = s.Stats()
	for _, p := range own {
		rl.send(p, srv)
	}
	require.NoError(t, s.Update(0))
	require.Equal(t, uint64(len(own)), s.Stats().DroppedReplayed-before.DroppedReplayed)

	require.NoError(t, c2.Send([]byte("five")))
	for i := 0; i < 20; i++ {
		rl.step(r, s, 10*time.Millisecond, c2)
	}
	require.Equal(t, []string{"five"}, payloadsOf(r.takeEvents(), id))
	require.Equal(t, core.StateConnected, c2.State())
}

// 2. The 1.4.5 rules against a stolen token: the owner's request, captured
// on its path, is refused from a second address while pending; after the
// handshake it is consumed and refused from every address, the owner's
// included. The owner connects fine.
func TestAttackTokenReuse(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	srv := s.PublicAddresses()[0]
	rl := newRelay(t, srv)
	thief := newAttacker(t)
	id := core.NetcodeID(7)
	tok := r.token(7, []netip.AddrPort{rl.addr()}, internal(s))
	owner := r.client(7, tok)
	require.NoError(t, owner.Connect())

	// The owner's first request crosses the relay, which keeps a copy; the
	// server takes the token: pending, for the relay's address.
	rl.step(r, s, 0, owner)
	require.Len(t, rl.up, 1)
	req := rl.up[0]
	require.Equal(t, requestBytes(t, tok), req)
	var mac [macSize]byte
	copy(mac[:], req[requestPacketSize-macSize:])
	require.Len(t, s.pending, 1)
	require.True(t, s.tokens.uses[keyOf(&mac)].from(rl.addr()))
	require.Equal(t, tokenPending, s.tokens.uses[keyOf(&mac)].state)

	reject := func(what string, from ...*attacker) {
		t.Helper()
		before, pending := s.Stats(), len(s.pending)
		for _, a := range from {
			a.send(req, srv)
		}
		require.NoError(t, s.Update(0))
		after := s.Stats()
		require.Equal(t, uint64(len(from)), after.DroppedRejected-before.DroppedRejected, what)
		require.Equal(t, before.PacketsSent, after.PacketsSent, what)
		for _, a := range from {
			a.requireSilent(what)
		}
		require.Len(t, s.pending, pending, what)
		require.True(t, s.tokens.uses[keyOf(&mac)].from(rl.addr()), what)
	}

	reject("pending token from a second address", thief, thief, thief)

	rl.until(r, s, time.Second, "owner connected", func() bool { return owner.State() == core.StateConnected }, owner)
	require.Equal(t, []core.Event{{Type: core.EventConnected, Client: id}}, r.takeEvents())
	addr, ok := s.ClientAddr(id)
	require.True(t, ok)
	require.Equal(t, rl.addr(), addr)
	require.Equal(t, tokenConsumed, s.tokens.uses[keyOf(&mac)].state)

	reject("token of a connected client", thief)

	// Consumed: the owner leaves; nobody can use the token again.
	require.NoError(t, owner.Disconnect())
	rl.step(r, s, 10*time.Millisecond)
	require.Zero(t, s.NumConnected())
	rl.received() // anything still in flight to the relay
	reject("consumed token from a second address", thief)
	reject("consumed token from the owner's address", rl.attacker)

	// The owner's own client with the same token gets nowhere either.
	require.NoError(t, owner.SetToken(tok))
	require.NoError(t, owner.Connect())
	rejected := s.Stats().DroppedRejected
	for i := 0; i < 50; i++ {
		rl.step(r, s, 10*time.Millisecond, owner)
	}
	require.Equal(t, core.StateSendingRequest, owner.State())
	require.GreaterOrEqual(t, s.Stats().DroppedRejected-rejected, uint64(5), "a request every 0.1 s, each refused")
	require.Zero(t, s.NumConnected())

	// A fresh token for the same client id works.
	fresh := r.connect(7, s)
	r.untilState(fresh, core.StateConnected, time.Second)
	thief.requireSilent("the whole attack")
}

// 3. A request whose token is expired, sealed with another key or made for
// another protocol is never answered, and is counted.
func TestAttackBadTokensNeverAnswered(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	srv := s.PublicAddresses()[0]
	other, err := GenerateKey()
	require.NoError(t, err)
	a := newAttacker(t)
	rejected := func(s core.Stats) uint64 { return s.DroppedRejected }
	decrypt := func(s core.Stats) uint64 { return s.DroppedDecryptFailed }

	cases := []struct {
		name    string
		opt     tokenOpt
		counter func(core.Stats) uint64
	}{
		{"expired a minute ago", func(p *TokenParams) { p.Now = r.now.Add(-90 * time.Second) }, rejected},
		{"expires this second", func(p *TokenParams) { p.Now = r.now.Add(-30 * time.Second) }, rejected},
		{"sealed with another key", func(p *TokenParams) { p.PrivateKey = other }, decrypt},
		{"wrong protocol id", func(p *TokenParams) { p.ProtocolID++ }, rejected},
	}
	for i, tc := range cases {
		req := requestBytes(t, r.token(uint64(10+i), []netip.AddrPort{srv}, tc.opt))
		before := s.Stats()
		for k := 0; k < 5; k++ {
			a.send(req, srv)
		}
		require.NoError(t, s.Update(0))
		after := s.Stats()
		require.Equal(t, uint64(5), after.PacketsReceived-before.PacketsReceived, tc.name)
		require.Equal(t, uint64(5), tc.counter(after)-tc.counter(before), tc.name)
		require.Equal(t, uint64(5), after.Dropped()-before.Dropped(), tc.name)
		require.Equal(t, before.PacketsSent, after.PacketsSent, tc.name)
		a.requireSilent(tc.name)
		require.Empty(t, s.pending, tc.name)
		require.Zero(t, s.tokens.len(), tc.name)
	}

	// The control: from the same socket a good token is answered with one
	// 333-byte challenge, so the silence above is the server's choice.
	a.send(requestBytes(t, r.token(20, []netip.AddrPort{srv})), srv)
	require.NoError(t, s.Update(0))
	got := a.received()
	require.Len(t, got, 1)
	require.Equal(t, PacketChallenge, packetType(got[0].Buf))
	require.Len(t, got[0].Buf, 1+8+challengeBodySize+macSize)
}

// 4. Every byte of a valid request packet and of a valid payload packet,
// flipped (xor 0x01 and xor 0xff), sent from the client's own address:
// every variant is dropped and unanswered and changes nothing; the
// untouched packets still work afterwards.
func TestAttackBitFlips(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	srv := s.PublicAddresses()[0]
	rl := newRelay(t, srv)
	id := core.NetcodeID(3)
	c := r.client(3, r.token(3, []netip.AddrPort{rl.addr()}, internal(s)))
	require.NoError(t, c.Connect())

	flipAll := func(pkt []byte, unchanged func(what string)) {
		t.Helper()
		for i := range pkt {
			for _, x := range []byte{0x01, 0xff} {
				bad := bytes.Clone(pkt)
				bad[i] ^= x
				what := fmt.Sprintf("byte %d of %d ^ %#02x", i, len(pkt), x)
				before := s.Stats()
				rl.send(bad, srv)
				require.NoError(t, s.Update(0))
				after := s.Stats()
				require.Equal(t, uint64(1), after.PacketsReceived-before.PacketsReceived, what)
				require.Equal(t, uint64(1), after.Dropped()-before.Dropped(), what)
				require.Equal(t, before.PacketsSent, after.PacketsSent, what)
				require.Zero(t, s.events.Len(), what)
				unchanged(what)
			}
		}
		rl.requireSilent("flipped packets")
	}

	// The request, held back by the relay.
	rl.hold = func(b []byte) bool { return packetType(b) == PacketRequest }
	rl.step(r, s, 0, c)
	require.Len(t, rl.held, 1)
	req := rl.held[0]
	flipAll(req, func(what string) {
		require.Empty(t, s.pending, what)
		require.Zero(t, s.tokens.len(), what)
		require.Zero(t, s.NumConnected(), what)
	})
	// Untouched, it is answered with a challenge, and the handshake ends.
	rl.hold, rl.held = nil, nil
	rl.send(req, srv)
	require.NoError(t, s.Update(0))
	got := rl.received()
	require.Len(t, got, 1)
	require.Equal(t, PacketChallenge, packetType(got[0].Buf))
	rl.send(got[0].Buf, rl.client)
	rl.until(r, s, time.Second, "connected", func() bool { return c.State() == core.StateConnected }, c)
	for i := 0; i < 20; i++ {
		rl.step(r, s, 10*time.Millisecond, c)
	}
	r.takeEvents()

	// A payload, held back by the relay.
	conn := s.connFrom(rl.addr())
	require.NotNil(t, conn)
	rl.hold = func(b []byte) bool { return packetType(b) == PacketPayload }
	payload := make([]byte, 200)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	require.NoError(t, c.Send(payload))
	rl.pump()
	require.Len(t, rl.held, 1)
	pkt := rl.held[0]
	window, confirmed := conn.replay, conn.confirmed
	cBefore := mustClientStats(t, s, id)
	flipAll(pkt, func(what string) {
		require.Equal(t, 1, s.NumConnected(), what)
		require.Same(t, conn, s.connFrom(rl.addr()), what)
		require.True(t, conn.replay == window, "%s: replay window moved", what)
		require.Equal(t, confirmed, conn.confirmed, what)
	})
	cAfter := mustClientStats(t, s, id)
	require.Equal(t, uint64(2*len(pkt)), cAfter.Dropped()-cBefore.Dropped())

	// Untouched, it is delivered once; again, it is a replay.
	rl.send(pkt, srv)
	require.NoError(t, s.Update(0))
	require.Equal(t, []string{string(payload)}, payloadsOf(r.takeEvents(), id))
	replayed := s.Stats().DroppedReplayed
	rl.send(pkt, srv)
	require.NoError(t, s.Update(0))
	require.Empty(t, r.takeEvents())
	require.Equal(t, replayed+1, s.Stats().DroppedReplayed)
}

// 5. Truncated (0..17 and 1077 bytes) and oversized (1079 up to 2000)
// datagrams, cut from or padded onto a valid request and a valid payload
// packet, from a stranger and from the connected client's own address:
// each is read, dropped, counted under the expected cause, and never
// answered. Over the biggest netcode packet (1225 bytes), and over what a
// read keeps (MaxDatagram), the cause is DroppedOversized, also in the
// client's own counters when it came from the client.
func TestAttackBadSizes(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(4))
	srv := s.PublicAddresses()[0]
	id := core.NetcodeID(5)
	tok := r.token(5, []netip.AddrPort{srv})
	c := r.client(5, tok)
	require.NoError(t, c.Connect())
	r.untilState(c, core.StateConnected, time.Second)
	r.step(200 * time.Millisecond)
	r.takeEvents()
	stranger := newAttacker(t)

	req := requestBytes(t, r.token(6, []netip.AddrPort{srv}))
	pl := sealWithToken(t, tok, PacketPayload, 1000, bytes.Repeat([]byte{0xa5}, MaxPayloadSize))
	require.Len(t, pl, 1+2+MaxPayloadSize+macSize)
	resize := func(b []byte, n int) []byte {
		out := bytes.Repeat([]byte{0x5a}, n)
		copy(out, b)
		return out
	}
	malformed := func(s core.Stats) uint64 { return s.DroppedMalformed }
	unknown := func(s core.Stats) uint64 { return s.DroppedUnknownAddress }
	decrypt := func(s core.Stats) uint64 { return s.DroppedDecryptFailed }
	oversized := func(s core.Stats) uint64 { return s.DroppedOversized }

	type dgram struct {
		what       string
		pkt        []byte
		fromClient bool
		counter    func(core.Stats) uint64
	}
	var sends []dgram
	for _, fromClient := range []bool{false, true} {
		for n := 0; n < minEncryptedPacket; n++ {
			sends = append(sends,
				dgram{"request cut to", req[:n], fromClient, malformed},
				dgram{"payload cut to", pl[:n], fromClient, malformed})
		}
		plCounter := unknown
		if fromClient {
			plCounter = decrypt
		}
		for _, n := range []int{requestPacketSize - 1, requestPacketSize + 1, maxPacketSize} {
			sends = append(sends,
				dgram{"request resized to", resize(req, n), fromClient, malformed},
				dgram{"payload resized to", resize(pl, n), fromClient, plCounter})
		}
		for _, n := range []int{maxPacketSize + 1, 1300, transport.MaxDatagram, transport.MaxDatagram + 1, 2000} {
			sends = append(sends,
				dgram{"request resized to", resize(req, n), fromClient, oversized},
				dgram{"payload resized to", resize(pl, n), fromClient, oversized})
		}
	}
	for _, d := range sends {
		src := "a stranger"
		var tr transport.Transport = stranger.tr
		if d.fromClient {
			src, tr = "the client", c.raw
		}
		what := fmt.Sprintf("%s %d bytes from %s", d.what, len(d.pkt), src)
		before := s.Stats()
		clientBefore, _ := s.ClientStats(id)
		write(t, tr, d.pkt, srv)
		require.NoError(t, s.Update(0))
		after := s.Stats()
		clientAfter, _ := s.ClientStats(id)
		require.Equal(t, uint64(1), after.PacketsReceived-before.PacketsReceived, "%s: not read", what)
		require.Equal(t, uint64(1), d.counter(after)-d.counter(before), what)
		require.Equal(t, uint64(1), after.Dropped()-before.Dropped(), what)
		require.Equal(t, before.PacketsSent, after.PacketsSent, "%s: answered", what)
		if d.fromClient && len(d.pkt) > maxPacketSize {
			require.Equal(t, uint64(1), clientAfter.DroppedOversized-clientBefore.DroppedOversized, "%s: client's count", what)
		}
	}
	stranger.requireSilent("bad sizes")
	require.Equal(t, 1, s.NumConnected())
	require.Empty(t, s.pending)
	require.Empty(t, r.takeEvents())

	// The untouched payload still goes through.
	write(t, c.raw, pl, srv)
	require.NoError(t, s.Update(0))
	evs := payloadsOf(r.takeEvents(), id)
	require.Equal(t, []string{string(bytes.Repeat([]byte{0xa5}, MaxPayloadSize))}, evs)
}

// 6. 10,000 distinct valid-looking requests (right size, version, protocol
// id and a future expiry, a random nonce and garbage for the sealed token)
// from 100 source ports, while 100 real clients each send a payload every
// step: every payload arrives, nobody is disconnected, the flood gets no
// answer and leaves no state behind, and the server's heap does not grow
// (measured: about 130 KiB whatever the flood's size, 1,000 to 40,000
// requests, so nothing per request; the bound is 1 MiB).
func TestAttackFloodWhilePlaying(t *testing.T) {
	const (
		players      = 100
		floodSockets = 100
		perSocket    = 10  // requests in one batch from one socket
		steps        = 100 // floodSockets/perSocket sockets a step, 100 requests: 10,000 in all
		dt           = 10 * time.Millisecond
		heapBound    = 1 << 20
	)
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(128))
	srv := s.PublicAddresses()[0]
	for i := 0; i < players; i++ {
		r.connect(uint64(1000+i), s)
	}
	r.until(2*time.Second, "players connected", func() bool { return allConnected(r.clients) && s.NumConnected() == players })
	r.step(dt)
	r.takeEvents()
	attackers := make([]*attacker, floodSockets)
	for i := range attackers {
		attackers[i] = newAttacker(t)
	}
	delivered := make(map[uint64]int, players)
	for _, c := range r.clients {
		delivered[c.ID().ID] = 0
	}
	rng := rand.NewChaCha8([32]byte{6})
	batch := make([]transport.Message, perSocket)
	for i := range batch {
		batch[i] = transport.Message{Buf: make([]byte, requestPacketSize), N: requestPacketSize, Addr: srv}
	}
	payload := make([]byte, 16)
	disconnects := 0
	before := s.Stats()

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for step := 0; step < steps; step++ {
		r.now = r.now.Add(dt)
		for _, c := range r.clients {
			binary.LittleEndian.PutUint64(payload, uint64(step))
			require.NoError(t, c.Send(payload))
			require.NoError(t, c.Update(dt))
		}
		first := (step * (floodSockets / perSocket)) % floodSockets
		for _, a := range attackers[first : first+floodSockets/perSocket] {
			for _, m := range batch {
				pkt := m.Buf
				pkt[0] = byte(PacketRequest)
				copy(pkt[reqVersion:], Version)
				binary.LittleEndian.PutUint64(pkt[reqProtocol:], testProtocol)
				binary.LittleEndian.PutUint64(pkt[reqExpire:], uint64(r.now.Unix())+30)
				rng.Read(pkt[reqNonce:]) // nonce and "sealed token": garbage
			}
			a.sendBatch(batch)
		}
		require.NoError(t, s.Update(dt))
		var ev core.Event
		for s.PollEvent(&ev) {
			switch ev.Type {
			case core.EventPayload:
				delivered[ev.Client.ID]++
			case core.EventDisconnected:
				disconnects++
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	after := s.Stats()

	flooded := 0
	for _, a := range attackers {
		require.Equal(t, 10_000/floodSockets, a.sentPkts, "every socket took its turn")
		flooded += a.sentPkts
	}
	require.Equal(t, 10_000, flooded)
	heapDelta := int64(m1.HeapInuse) - int64(m0.HeapInuse)
	t.Logf("flood: %d requests, %d payloads delivered of %d sent, heap in use %+d bytes (%d -> %d), pending %d, token history %d",
		after.DroppedDecryptFailed-before.DroppedDecryptFailed, sum(delivered), players*steps,
		heapDelta, m0.HeapInuse, m1.HeapInuse, len(s.pending), s.tokens.len())
	require.Zero(t, disconnects, "nobody is disconnected")
	require.Equal(t, players, s.NumConnected())
	require.True(t, allConnected(r.clients))
	for cid, n := range delivered {
		require.GreaterOrEqual(t, n, steps*99/100, "client %d: %d of %d payloads", cid, n, steps)
	}
	require.GreaterOrEqual(t, after.DroppedDecryptFailed-before.DroppedDecryptFailed, uint64(flooded*99/100),
		"the flood reached the server and every request failed to decrypt")
	require.Empty(t, s.pending, "the flood left no handshake state")
	require.Equal(t, players, s.tokens.len(), "the flood left nothing in the token history")
	require.Less(t, heapDelta, int64(heapBound), "server heap grew by %d bytes under the flood", heapDelta)
	for _, a := range attackers {
		a.requireSilent("flood")
	}
}

func sum(m map[uint64]int) int {
	total := 0
	for _, n := range m {
		total += n
	}
	return total
}

// 7. No amplification: unauthenticated addresses sending valid requests
// (resent, and for each other's tokens), and garbage of every size and
// type, get back fewer bytes than they send, both while the server has
// room (challenges) and when it is full (denials).
func TestAttackAmplification(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(2))
	srv := s.PublicAddresses()[0]
	rng := rand.New(rand.NewPCG(7, 7))
	junk := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	atk := make([]*attacker, 8)
	reqs := make([][]byte, len(atk))
	for i := range atk {
		atk[i] = newAttacker(t)
		reqs[i] = requestBytes(t, r.token(uint64(200+i), []netip.AddrPort{srv}))
	}
	round := func() {
		for i, a := range atk {
			a.send(reqs[i], srv) // a challenge
			a.send(reqs[i], srv) // resent while pending: another
		}
		for i, a := range atk {
			a.send(reqs[(i+1)%len(atk)], srv) // someone else's pending token
			for _, n := range []int{0, 1, 17, 18, 26, 100, 326, 1077, 1078, 1079, 1300, 1500} {
				a.send(junk(n), srv)
			}
			for _, typ := range []PacketType{PacketRequest, PacketResponse, PacketKeepAlive, PacketPayload, PacketDisconnect} {
				for _, n := range []int{18, 26, 326, 1078} {
					b := junk(n)
					b[0] = 0x10 | byte(typ)
					a.send(b, srv)
				}
			}
		}
		r.stepOnly(10*time.Millisecond, []*Server{s}, nil)
		for _, a := range atk {
			a.received()
		}
	}
	for i := 0; i < 5; i++ {
		round()
	}
	for _, a := range atk {
		require.Equal(t, 10, a.recvPkts, "one challenge per own request")
	}

	// Full: two real clients take the slots; the same traffic gets denials.
	r.connect(300, s)
	r.connect(301, s)
	r.until(time.Second, "server full", func() bool { return allConnected(r.clients) })
	for i := 0; i < 3; i++ {
		round()
	}

	var sent, recv int
	for i, a := range atk {
		require.LessOrEqual(t, a.recvBytes, a.sentBytes, "attacker %d", i)
		require.LessOrEqual(t, a.maxRecv, 1+8+challengeBodySize+macSize, "attacker %d: no reply larger than a challenge", i)
		require.Equal(t, 10+6, a.recvPkts, "attacker %d: challenges, then denials", i)
		sent += a.sentBytes
		recv += a.recvBytes
	}
	t.Logf("amplification: unauthenticated addresses sent %d bytes, got %d back (ratio %.3f)", sent, recv, float64(recv)/float64(sent))
	require.LessOrEqual(t, recv, sent)
	require.Equal(t, 2, s.NumConnected())
}

// 8. MaxClients holds against real clients: the one too many is denied and
// never connected. A client that leaves takes its slot and keys with it: a
// packet sealed with its old keys from its old address is dropped as from
// an unknown address, and the next client gets its slot.
func TestAttackMaxClientsAndSlotReuse(t *testing.T) {
	const maxClients = 3
	r := newRig(t, "127.0.0.1")
	s := r.startServer(r.serverConfig(maxClients))
	srv := s.PublicAddresses()[0]
	peak := 0
	watch := func() {
		peak = max(peak, s.NumConnected())
		_, in := s.ClientAddr(core.NetcodeID(4))
		require.False(t, in, "the client too many was connected")
	}
	toks := map[uint64][]byte{}
	var cs []*Client
	for id := uint64(1); id <= maxClients; id++ {
		toks[id] = r.token(id, []netip.AddrPort{srv})
		c := r.client(id, toks[id])
		require.NoError(t, c.Connect())
		cs = append(cs, c)
	}
	r.until(time.Second, "all connected", func() bool { watch(); return allConnected(cs) })
	extra := r.client(4, r.token(4, []netip.AddrPort{srv}))
	require.NoError(t, extra.Connect())
	r.until(time.Second, "denied", func() bool { watch(); return extra.State() == core.StateConnectionDenied })
	for i := 0; i < 30; i++ {
		r.step(10 * time.Millisecond)
		watch()
	}
	require.Equal(t, maxClients, peak)
	for _, ev := range r.takeEvents() {
		require.NotEqual(t, core.NetcodeID(4), ev.Client, "event %v", ev)
	}

	// Client 2 leaves.
	leaver := cs[1]
	oldID := core.NetcodeID(2)
	oldIdx, ok := s.ClientIndex(oldID)
	require.True(t, ok)
	require.Equal(t, uint32(oldIdx), leaver.ClientIndex())
	oldAddr := leaver.LocalAddr()
	old := s.byID[2]
	require.NoError(t, leaver.Disconnect())
	r.step(10 * time.Millisecond)
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: oldID, Reason: core.ReasonRemote}}, r.takeEvents())
	require.Equal(t, maxClients-1, s.NumConnected())
	require.Nil(t, s.slots[oldIdx])
	require.Nil(t, s.connFrom(oldAddr))
	require.Nil(t, s.byID[2])
	require.Nil(t, old.c2s)
	require.Nil(t, old.s2c)
	require.Contains(t, s.free, oldIdx)

	// Packets sealed with its old key, at sequences it never used, from its
	// old address.
	forged := [][]byte{
		sealWithToken(t, toks[2], PacketPayload, 10_000, []byte("ghost")),
		sealWithToken(t, toks[2], PacketKeepAlive, 10_001, make([]byte, keepAliveBodySize)),
		sealWithToken(t, toks[2], PacketDisconnect, 10_002, nil),
	}
	forge := func(what string) {
		t.Helper()
		drainTransport(t, leaver.raw)
		before := s.Stats()
		for _, p := range forged {
			write(t, leaver.raw, p, srv)
		}
		r.stepOnly(0, []*Server{s}, nil)
		after := s.Stats()
		require.Equal(t, uint64(len(forged)), after.DroppedUnknownAddress-before.DroppedUnknownAddress, what)
		require.Equal(t, uint64(len(forged)), after.Dropped()-before.Dropped(), what)
		require.Empty(t, r.takeEvents(), what)
		require.Zero(t, drainTransport(t, leaver.raw), "%s: answered", what)
	}
	forge("old keys, old address")
	require.Equal(t, maxClients-1, s.NumConnected())

	// The next client takes the freed slot.
	next := r.client(5, r.token(5, []netip.AddrPort{srv}))
	require.NoError(t, next.Connect())
	r.until(time.Second, "next connected", func() bool { watch(); return next.State() == core.StateConnected })
	idx, ok := s.ClientIndex(core.NetcodeID(5))
	require.True(t, ok)
	require.Equal(t, oldIdx, idx)
	require.Equal(t, uint32(oldIdx), next.ClientIndex())
	require.Equal(t, uint64(5), s.slots[oldIdx].id)
	require.Equal(t, maxClients, s.NumConnected())
	require.Equal(t, []core.Event{{Type: core.EventConnected, Client: core.NetcodeID(5)}}, r.takeEvents())
	forge("old keys, old address, slot reused")
	require.Equal(t, maxClients, peak)
	require.Equal(t, core.StateConnectionDenied, extra.State())
}

// fixedPortConfig is a server config bound to one port that a restarted
// server (or a new process) binds again, as a production server does.
func fixedPortConfig(t *testing.T, r *rig) (ServerConfig, netip.AddrPort) {
	t.Helper()
	probe, err := transport.ListenUDP(netip.AddrPortFrom(attackIP, 0))
	require.NoError(t, err)
	fixed := probe.LocalAddr()
	require.NoError(t, probe.Close())
	cfg := r.serverConfig(4)
	cfg.Addresses = []netip.AddrPort{fixed}
	return cfg, fixed
}

// A consumed token must stay refused when the server restarts: otherwise
// its keys encrypt a second session whose sequences start again at 0,
// repeating AEAD nonces under the same keys (the harm upstream 1.4.5 and
// GHSA-v29p-3vj4-vg4f address). In-process restarts keep the history;
// TestAttackTokenFromBeforeANewProcess covers a new process.
func TestAttackConsumedTokenAfterRestart(t *testing.T) {
	r := newRig(t, "127.0.0.1")
	cfg, fixed := fixedPortConfig(t, r)
	s := r.startServer(cfg)
	tok := r.token(9, s.PublicAddresses())

	c := r.client(9, tok)
	require.NoError(t, c.Connect())
	r.untilState(c, core.StateConnected, time.Second)
	require.NoError(t, c.Disconnect())
	r.step(10 * time.Millisecond)
	require.Zero(t, s.NumConnected())

	require.NoError(t, s.Stop())
	require.NoError(t, s.Start())
	require.Equal(t, fixed, s.PublicAddresses()[0])
	again := r.client(9, tok)
	require.NoError(t, again.Connect())
	for i := 0; i < 50; i++ {
		r.step(10 * time.Millisecond)
	}
	require.NotEqual(t, core.StateConnected, again.State(), "a consumed token connected again after a restart")
	require.Zero(t, s.NumConnected())
}

// A new server process knows nothing of the tokens an earlier one consumed:
// the restart rule refuses every token that may have been made before it
// started (expire < first start + MaxTokenLifetime), so a captured request
// replayed at the new process gets no answer at all.
func TestAttackTokenFromBeforeANewProcess(t *testing.T) {
	for _, rule := range []bool{true, false} {
		t.Run(fmt.Sprintf("rule=%v", rule), func(t *testing.T) {
			r := newRig(t, "127.0.0.1")
			cfg, fixed := fixedPortConfig(t, r)
			first := r.startServer(cfg)
			tok := r.token(9, first.PublicAddresses())
			c := r.client(9, tok)
			require.NoError(t, c.Connect())
			r.untilState(c, core.StateConnected, time.Second)
			req := requestBytes(t, tok) // what an eavesdropper captured
			require.NoError(t, first.Stop())
			r.servers = nil

			// A new process (a new Server: no history) starts 5 s later on
			// the same address with the same key; the token is still valid.
			r.now = r.now.Add(5 * time.Second)
			if !rule {
				cfg.MaxTokenLifetime = -1
			}
			second := r.startServer(cfg)
			require.Equal(t, fixed, second.PublicAddresses()[0])
			a := newAttacker(t)
			a.send(req, fixed)
			r.stepOnly(0, []*Server{second}, nil)
			time.Sleep(10 * time.Millisecond)
			got := a.received()
			if !rule {
				// Without the rule the replayed token is answered with a
				// challenge: the session its keys already encrypted could
				// begin again.
				require.Len(t, got, 1)
				require.Equal(t, PacketChallenge, packetType(got[0].Buf))
				return
			}
			require.Empty(t, got, "a token made before the server started was answered")
			require.Equal(t, uint64(1), second.Stats().DroppedRejected)
			fresh := r.client(10, r.token(10, second.PublicAddresses()))
			require.NoError(t, fresh.Connect())
			r.untilState(fresh, core.StateConnected, time.Second)
		})
	}
}

// The rule's arithmetic, on the in-memory network with the wall clock
// under the test's control.
func TestRestartRule(t *testing.T) {
	connects := func(t *testing.T, lifetime time.Duration, madeAgo time.Duration, expire int64) bool {
		r, _ := newMemRig(t)
		cfg := r.serverConfig(4)
		cfg.MaxTokenLifetime = lifetime
		s := r.startServer(cfg)
		made := r.now.Add(-madeAgo)
		c := r.client(1, r.token(1, s.PublicAddresses(), func(p *TokenParams) {
			p.Now, p.ExpireSeconds = made, expire
		}))
		require.NoError(t, c.Connect())
		for i := 0; i < 20 && c.State() != core.StateConnected; i++ {
			r.step(10 * time.Millisecond)
		}
		return c.State() == core.StateConnected
	}
	require.True(t, connects(t, 0, 0, 30), "made at start, default lifetime")
	require.False(t, connects(t, 0, time.Second, 30), "made a second before start")
	require.True(t, connects(t, -1, time.Second, 30), "rule off")
	require.False(t, connects(t, 0, 0, 10), "a 10 s token under the default 30 s lifetime, right after start")
	require.True(t, connects(t, 10*time.Second, 0, 10), "the lifetime set to the backend's")
	require.True(t, connects(t, 0, time.Hour, -1), "tokens that never expire pass")
	require.True(t, connects(t, 0, time.Second, 60), "a token longer than the lifetime slips past (documented)")
}

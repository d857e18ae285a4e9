package netcode

import (
	"bytes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/stretchr/testify/require"
)

// FuzzServerReceive drives the whole receive path of a started server that
// has one connected client, on the in-memory network.
//
// The input is a sequence of datagrams (at most maxFuzzDatagrams), each
// written as
//
//	ctl u8 | length u16 little-endian | length bytes
//
// (a last record shorter than its length takes what is left). Bit 0 of ctl
// picks the source: 0 the connected client's address, 1 a stranger's. Bits
// 1-2 pick how far the clock moves before the server's Update that follows
// every datagram: 0, 10 ms, 100 ms or 1 s.
//
// The rig reuses the reference vectors: the server has the vectors'
// private key, listens at their token's address 127.0.0.1:40000 and its
// clock reads their create time, so the vector request is a live request
// from the stranger; the connected client's token carries the vectors'
// packet keys, so the client-to-server vector packets (keep-alive seq 2,
// payload seq 1000, disconnect seq 0x10203, ...) are real packets of its
// session.
//
// Invariants after every datagram: no panic; at most one client connected
// (MaxClients is 4, so this is the protocol's doing, not the limit's); no
// connection event; a payload event only for a datagram from the client
// that a separate reader opens as a payload with the session key, with the
// same bytes, at a sequence never delivered before; a disconnection only
// for a valid disconnect from the client or a timeout; every counter of the
// server's stats only grows, a datagram that fits the server's buffer is
// read exactly once and dropped at most once.
//
// `go test` replays the seeds in testdata/fuzz/FuzzServerReceive;
// TestFuzzServerReceiveSeeds keeps them in step with fuzzServerSeeds (set
// NETCODE_WRITE_FUZZ_SEEDS=1 to rewrite them).
func FuzzServerReceive(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		newServerFuzzRig(t).run(t, splitFuzzInput(in))
	})
}

const (
	maxFuzzDatagrams = 64
	fuzzServerAddr   = "127.0.0.1:40000"
	fuzzNowUnix      = 1700000000 // the vectors' create timestamp
	fuzzClientID     = 1
	vecPrivateKeyHex = "606abe6ec91910ea9a6562f66f2b30e44371d62cd19927266b3c60f4b715aba1"
	vecC2SHex        = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	vecS2CHex        = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
)

var fuzzDts = [4]time.Duration{0, 10 * time.Millisecond, 100 * time.Millisecond, time.Second}

type fuzzDatagram struct {
	fromStranger bool
	dt           time.Duration
	pkt          []byte
}

func splitFuzzInput(in []byte) []fuzzDatagram {
	var out []fuzzDatagram
	for len(in) > 0 && len(out) < maxFuzzDatagrams {
		ctl := in[0]
		in = in[1:]
		n := 0
		if len(in) >= 2 {
			n = int(binary.LittleEndian.Uint16(in))
			in = in[2:]
		} else {
			in = nil
		}
		n = min(n, len(in))
		out = append(out, fuzzDatagram{fromStranger: ctl&1 == 1, dt: fuzzDts[(ctl>>1)&3], pkt: in[:n:n]})
		in = in[n:]
	}
	return out
}

// fuzzRecord encodes one datagram of a fuzz input.
func fuzzRecord(fromStranger bool, dtSel int, pkt []byte) []byte {
	ctl := byte(dtSel&3) << 1
	if fromStranger {
		ctl |= 1
	}
	b := []byte{ctl, 0, 0}
	binary.LittleEndian.PutUint16(b[1:], uint16(len(pkt)))
	return append(b, pkt...)
}

type serverFuzzRig struct {
	r        *rig
	s        *Server
	c        *Client
	stranger transport.Transport
	server   netip.AddrPort
	// A reader of its own for the client's packets: the oracle.
	codec codec
	c2s   cipher.AEAD
}

func newServerFuzzRig(t *testing.T) *serverFuzzRig {
	r, nw := newMemRig(t)
	r.ip = netip.MustParseAddr("127.0.0.1")
	r.key = key(t, vecPrivateKeyHex)
	r.now = time.Unix(fuzzNowUnix, 0)
	cfg := r.serverConfig(4)
	cfg.Addresses = []netip.AddrPort{netip.MustParseAddrPort(fuzzServerAddr)}
	s := r.startServer(cfg)
	c2s, s2c := key(t, vecC2SHex), key(t, vecS2CHex)
	c := r.client(fuzzClientID, r.token(fuzzClientID, s.PublicAddresses(), func(p *TokenParams) {
		p.ClientToServerKey, p.ServerToClientKey = &c2s, &s2c
	}))
	require.NoError(t, c.Connect())
	r.untilState(c, core.StateConnected, time.Second)
	r.takeEvents()
	stranger, err := nw.Listen(netip.AddrPortFrom(r.ip, 0))
	require.NoError(t, err)
	fr := &serverFuzzRig{r: r, s: s, c: c, stranger: stranger, server: s.PublicAddresses()[0], c2s: newAEAD(&c2s)}
	fr.codec.init(testProtocol)
	return fr
}

// open reads pkt as the connected client's packet, with no replay window.
func (fr *serverFuzzRig) open(pkt []byte) (PacketType, uint64, []byte, bool) {
	cp := bytes.Clone(pkt)
	h, drop := parseHeader(cp, serverAccepts)
	if drop != DropNone {
		return 0, 0, nil, false
	}
	body, drop := fr.codec.open(cp, &h, fr.c2s)
	if drop != DropNone {
		return 0, 0, nil, false
	}
	return h.typ, h.seq, body, true
}

func (fr *serverFuzzRig) run(t *testing.T, dgs []fuzzDatagram) {
	id := core.NetcodeID(fuzzClientID)
	prev := fr.s.Stats()
	delivered := map[uint64]bool{}
	for i, d := range dgs {
		// The client is never updated again: its socket is the fuzzer's.
		tr := fr.c.raw
		if d.fromStranger {
			tr = fr.stranger
		}
		if _, err := tr.WriteBatch([]transport.Message{{Buf: d.pkt, N: len(d.pkt), Addr: fr.server}}); err != nil {
			t.Fatal(err)
		}
		typ, seq, body, valid := fr.open(d.pkt)
		valid = valid && !d.fromStranger
		fr.r.now = fr.r.now.Add(d.dt)
		if err := fr.s.Update(d.dt); err != nil {
			t.Fatalf("datagram %d: Update: %v", i, err)
		}

		payloads := 0
		var ev core.Event
		for fr.s.PollEvent(&ev) {
			switch ev.Type {
			case core.EventPayload:
				payloads++
				if !valid || typ != PacketPayload || ev.Client != id || !bytes.Equal(ev.Payload, body) {
					t.Fatalf("datagram %d (%d bytes, stranger %v): payload event %x from %v for a datagram that is not a valid sealed payload",
						i, len(d.pkt), d.fromStranger, ev.Payload, ev.Client)
				}
				if delivered[seq] {
					t.Fatalf("datagram %d: payload sequence %d delivered twice", i, seq)
				}
				delivered[seq] = true
			case core.EventDisconnected:
				if ev.Reason != core.ReasonTimedOut && !(valid && typ == PacketDisconnect) {
					t.Fatalf("datagram %d: %v disconnected (%v) without a valid disconnect or a timeout", i, ev.Client, ev.Reason)
				}
			default:
				t.Fatalf("datagram %d: unexpected event %v", i, ev)
			}
		}
		if payloads > 1 {
			t.Fatalf("datagram %d: %d payload events", i, payloads)
		}
		if n := fr.s.NumConnected(); n > 1 {
			t.Fatalf("datagram %d: %d clients connected", i, n)
		}
		st := fr.s.Stats()
		if msg := statsShrank(prev, st); msg != "" {
			t.Fatalf("datagram %d: %s", i, msg)
		}
		if len(d.pkt) <= transport.MaxDatagram {
			if got := st.PacketsReceived - prev.PacketsReceived; got != 1 {
				t.Fatalf("datagram %d (%d bytes): read %d times", i, len(d.pkt), got)
			}
		}
		if got := st.Dropped() - prev.Dropped(); got > 1 {
			t.Fatalf("datagram %d: dropped %d times", i, got)
		}
		prev = st
	}
}

func statsShrank(a, b core.Stats) string {
	fields := []struct {
		name       string
		was, isNow uint64
	}{
		{"PacketsSent", a.PacketsSent, b.PacketsSent},
		{"PacketsReceived", a.PacketsReceived, b.PacketsReceived},
		{"BytesSent", a.BytesSent, b.BytesSent},
		{"BytesReceived", a.BytesReceived, b.BytesReceived},
		{"DroppedMalformed", a.DroppedMalformed, b.DroppedMalformed},
		{"DroppedReplayed", a.DroppedReplayed, b.DroppedReplayed},
		{"DroppedDecryptFailed", a.DroppedDecryptFailed, b.DroppedDecryptFailed},
		{"DroppedUnknownAddress", a.DroppedUnknownAddress, b.DroppedUnknownAddress},
		{"DroppedQueueFull", a.DroppedQueueFull, b.DroppedQueueFull},
		{"DroppedRejected", a.DroppedRejected, b.DroppedRejected},
	}
	for _, f := range fields {
		if f.isNow < f.was {
			return fmt.Sprintf("%s went from %d to %d", f.name, f.was, f.isNow)
		}
	}
	return ""
}

// fuzzServerSeeds are the seed inputs: every vector packet, the vectors'
// server-side read tests and keep-alive sweep, and sessions of valid
// sealed packets.
func fuzzServerSeeds(tb testing.TB) map[string][]byte {
	tb.Helper()
	seeds := map[string][]byte{}
	cat := func(recs ...[]byte) []byte { return bytes.Join(recs, nil) }

	// Each vector packet file from the client, from a stranger, and from
	// the client again (a replay).
	files, err := filepath.Glob(filepath.Join("testdata", "vectors", "packet_*.bin"))
	require.NoError(tb, err)
	require.NotEmpty(tb, files)
	for _, path := range files {
		w, err := os.ReadFile(path)
		require.NoError(tb, err)
		name := strings.TrimSuffix(filepath.Base(path), ".bin")
		seeds["vector-"+name] = cat(fuzzRecord(false, 0, w), fuzzRecord(true, 0, w), fuzzRecord(false, 0, w))
	}

	v := loadVectors(tb)
	var reads [][]byte
	for _, rt := range v.ReadTests {
		if rt.Reader == "server" {
			w := unhex(tb, rt.Wire)
			reads = append(reads, fuzzRecord(false, 0, w), fuzzRecord(true, 0, w))
		}
	}
	require.LessOrEqual(tb, len(reads), maxFuzzDatagrams)
	seeds["vector-read-tests"] = cat(reads...)
	var sweep [][]byte
	for _, p := range v.Sweep {
		sweep = append(sweep, fuzzRecord(false, 0, unhex(tb, p.Wire)))
	}
	seeds["vector-keep-alive-sweep"] = cat(sweep...)

	c2s := key(tb, vecC2SHex)
	aead := newAEAD(&c2s)
	seal := func(typ PacketType, seq uint64, body []byte) []byte {
		var cd codec
		cd.init(testProtocol)
		buf := make([]byte, maxPacketSize)
		copy(buf[headerSize(seq):], body)
		return cd.seal(buf, typ, seq, len(body), aead)
	}
	vec := func(name string) []byte {
		w, err := os.ReadFile(filepath.Join("testdata", "vectors", name))
		require.NoError(tb, err)
		return w
	}
	big := make([]byte, MaxPayloadSize)
	for i := range big {
		big[i] = byte(i)
	}

	// A session: payloads, a replay, a keep-alive, a disconnect, and a
	// payload after it.
	seeds["sealed-session"] = cat(
		fuzzRecord(false, 0, vec("packet_payload_c2s_100.bin")),
		fuzzRecord(false, 0, vec("packet_payload_c2s_100.bin")),
		fuzzRecord(false, 1, vec("packet_keep_alive_c2s.bin")),
		fuzzRecord(false, 0, seal(PacketPayload, 1001, []byte("hello"))),
		fuzzRecord(false, 2, seal(PacketPayload, 1002, big)),
		fuzzRecord(false, 0, seal(PacketPayload, 1001, []byte("hello"))),
		fuzzRecord(true, 0, seal(PacketPayload, 1003, []byte("from elsewhere"))),
		fuzzRecord(false, 0, vec("packet_disconnect_c2s.bin")),
		fuzzRecord(false, 0, seal(PacketPayload, 0x10204, []byte("too late"))),
	)
	// The replay window's edges: jump to 300, then 44 is too old, 45 is
	// not, and each only once.
	seeds["sealed-window"] = cat(
		fuzzRecord(false, 0, seal(PacketKeepAlive, 300, make([]byte, keepAliveBodySize))),
		fuzzRecord(false, 0, seal(PacketPayload, 44, []byte("old"))),
		fuzzRecord(false, 0, seal(PacketPayload, 45, []byte("just in"))),
		fuzzRecord(false, 0, seal(PacketPayload, 45, []byte("just in"))),
		fuzzRecord(false, 0, seal(PacketPayload, 299, []byte("late"))),
		fuzzRecord(false, 0, seal(PacketDisconnect, 45, nil)),
		fuzzRecord(false, 0, seal(PacketPayload, ^uint64(0), []byte("last"))),
		fuzzRecord(false, 0, seal(PacketPayload, 301, []byte("after last"))),
	)
	// Bodies of the wrong size under a valid seal, and types the server
	// does not take.
	seeds["sealed-bad-bodies"] = cat(
		fuzzRecord(false, 0, seal(PacketKeepAlive, 400, make([]byte, 4))),
		fuzzRecord(false, 0, seal(PacketPayload, 401, nil)),
		fuzzRecord(false, 0, seal(PacketPayload, 402, make([]byte, MaxPayloadSize+1))),
		fuzzRecord(false, 0, seal(PacketDisconnect, 403, []byte{0})),
		fuzzRecord(false, 0, seal(PacketResponse, 404, make([]byte, challengeBodySize))),
		fuzzRecord(false, 0, seal(PacketDenied, 405, nil)),
		fuzzRecord(false, 0, seal(PacketChallenge, 406, make([]byte, challengeBodySize))),
	)
	// The stranger's handshake with the vector token: a challenge, then the
	// vector response (which opens with the same keys but carries a
	// challenge token sealed with another challenge key), a keep-alive and
	// a payload from the pending address, the request again, and the
	// request from the connected client's address.
	seeds["stranger-handshake"] = cat(
		fuzzRecord(true, 0, vec("packet_request.bin")),
		fuzzRecord(true, 1, vec("packet_response.bin")),
		fuzzRecord(true, 0, seal(PacketKeepAlive, 2, make([]byte, keepAliveBodySize))),
		fuzzRecord(true, 0, seal(PacketPayload, 3, []byte("pending"))),
		fuzzRecord(true, 2, vec("packet_request.bin")),
		fuzzRecord(false, 0, vec("packet_request.bin")),
	)
	// Silence: the client times out after its token's 5 s.
	var quiet [][]byte
	for i := 0; i < 7; i++ {
		quiet = append(quiet, fuzzRecord(true, 3, nil))
	}
	quiet = append(quiet, fuzzRecord(false, 0, seal(PacketPayload, 2000, []byte("gone"))))
	seeds["timeout"] = cat(quiet...)
	// Garbage of the edge sizes.
	seeds["garbage"] = cat(
		fuzzRecord(false, 0, nil),
		fuzzRecord(true, 0, make([]byte, minEncryptedPacket-1)),
		fuzzRecord(false, 0, append([]byte{0x15}, make([]byte, minEncryptedPacket-1)...)),
		fuzzRecord(true, 0, make([]byte, requestPacketSize)),
		fuzzRecord(false, 0, bytes.Repeat([]byte{0xff}, transport.MaxDatagram)),
		fuzzRecord(true, 0, bytes.Repeat([]byte{0x85}, transport.MaxDatagram+1)),
	)
	return seeds
}

func fuzzSeedFile(in []byte) string {
	return fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", in)
}

// The seed corpus in testdata matches fuzzServerSeeds, so plain `go test`
// replays every seed through FuzzServerReceive.
func TestFuzzServerReceiveSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzServerReceive")
	rewrite := os.Getenv("NETCODE_WRITE_FUZZ_SEEDS") != ""
	if rewrite {
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	for name, in := range fuzzServerSeeds(t) {
		path := filepath.Join(dir, "seed-"+name)
		want := fuzzSeedFile(in)
		if rewrite {
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "seed missing: run with NETCODE_WRITE_FUZZ_SEEDS=1")
		require.Equal(t, want, string(got), "seed %s is stale: run with NETCODE_WRITE_FUZZ_SEEDS=1", name)
	}
}

// The seeds exercise what they are meant to: a valid payload is delivered,
// the replay is not, the disconnect disconnects, the stranger is
// challenged, the silence times the client out.
func TestFuzzServerReceiveSeedsReachTheServer(t *testing.T) {
	seeds := fuzzServerSeeds(t)
	run := func(name string) (*serverFuzzRig, []core.Event) {
		fr := newServerFuzzRig(t)
		var evs []core.Event
		for _, d := range splitFuzzInput(seeds[name]) {
			tr := fr.c.raw
			if d.fromStranger {
				tr = fr.stranger
			}
			write(t, tr, d.pkt, fr.server)
			fr.r.now = fr.r.now.Add(d.dt)
			require.NoError(t, fr.s.Update(d.dt))
			var ev core.Event
			for fr.s.PollEvent(&ev) {
				ev.Payload = bytes.Clone(ev.Payload)
				evs = append(evs, ev)
			}
		}
		return fr, evs
	}
	id := core.NetcodeID(fuzzClientID)

	fr, evs := run("sealed-session")
	body := make([]byte, 100)
	for i := range body {
		body[i] = byte(i)
	}
	big := make([]byte, MaxPayloadSize)
	for i := range big {
		big[i] = byte(i)
	}
	require.Equal(t, []string{string(body), "hello", string(big)}, payloadsOf(evs, id))
	require.Equal(t, core.Event{Type: core.EventDisconnected, Client: id, Reason: core.ReasonRemote}, evs[len(evs)-1])
	require.Zero(t, fr.s.NumConnected())

	_, evs = run("sealed-window")
	require.Equal(t, []string{"just in", "late", "last"}, payloadsOf(evs, id))

	fr, evs = run("stranger-handshake")
	require.Empty(t, evs)
	require.Len(t, fr.s.pending, 1, "the stranger's vector request was taken")
	msgs := make([]transport.Message, 8)
	for i := range msgs {
		msgs[i].Buf = make([]byte, transport.MaxDatagram)
	}
	n, err := fr.stranger.ReadBatch(msgs)
	require.NoError(t, err)
	require.Equal(t, 2, n, "a challenge for each of the stranger's requests, nothing else")
	for _, m := range msgs[:n] {
		require.Equal(t, PacketChallenge, packetType(m.Buf[:m.N]))
	}

	_, evs = run("timeout")
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: id, Reason: core.ReasonTimedOut}}, evs)
}

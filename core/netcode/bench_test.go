package netcode

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// BenchmarkPacketWriteRead: seal a packet and read it back through the
// header checks, the replay window and the AEAD, for every encrypted type
// (the request is BenchmarkRequestRead) and payloads of 1, 100 and 1200 B.
func BenchmarkPacketWriteRead(b *testing.B) {
	cases := []struct {
		name    string
		typ     PacketType
		body    int
		accepts typeSet
	}{
		{"payload/1", PacketPayload, 1, serverAccepts},
		{"payload/100", PacketPayload, 100, serverAccepts},
		{"payload/1200", PacketPayload, 1200, serverAccepts},
		{"keepalive", PacketKeepAlive, keepAliveBodySize, serverAccepts},
		{"disconnect", PacketDisconnect, 0, serverAccepts},
		{"denied", PacketDenied, 0, clientAccepts},
		{"challenge", PacketChallenge, challengeBodySize, clientAccepts},
		{"response", PacketResponse, challengeBodySize, serverAccepts},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var k Key
			aead := newAEAD(&k)
			var c codec
			c.init(testProtocol)
			var w replayWindow
			w.reset()
			buf := make([]byte, maxPacketSize)
			b.SetBytes(int64(tc.body))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pkt := c.seal(buf, tc.typ, uint64(i), tc.body, aead)
				if _, _, d := c.readEncrypted(pkt, tc.accepts, aead, &w); d != DropNone {
					b.Fatal(d)
				}
			}
		})
	}
}

// BenchmarkTokenDecrypt: the client's side of a token (parse the 2048
// bytes) and the server's (open the sealed private part).
func BenchmarkTokenDecrypt(b *testing.B) {
	k, _ := GenerateKey()
	p := TokenParams{ProtocolID: 1, PrivateKey: k, PublicAddresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:40000")}, ExpireSeconds: 30, TimeoutSeconds: 5}
	tok, _ := GenerateConnectToken(p)
	wire, _ := tok.MarshalBinary()
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseConnectToken(wire); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open-private", func(b *testing.B) {
		xaead := newXAEAD(&k)
		var pt PrivateToken
		var scratch [PrivateTokenSize]byte
		b.ReportAllocs()
		for b.Loop() {
			if err := openPrivateToken(&pt, &scratch, tok.PrivateData[:], 1, tok.ExpireTimestamp, tok.Nonce[:], xaead); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkTokenGenerate(b *testing.B) {
	k, _ := GenerateKey()
	p := TokenParams{ProtocolID: 1, PrivateKey: k, PublicAddresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:40000")}, ExpireSeconds: 30, TimeoutSeconds: 5}
	b.ReportAllocs()
	for b.Loop() {
		t, err := GenerateConnectToken(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := t.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestRead: what a server spends on one connection request.
func BenchmarkRequestRead(b *testing.B) {
	k, _ := GenerateKey()
	p := TokenParams{ProtocolID: 1, PrivateKey: k, PublicAddresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:40000")}, ExpireSeconds: 30, TimeoutSeconds: 5}
	tok, _ := GenerateConnectToken(p)
	var pkt [requestPacketSize]byte
	xaead := newXAEAD(&k)
	var r request
	now := uint64(time.Now().Unix())
	b.ReportAllocs()
	for b.Loop() {
		writeRequest(&pkt, tok)
		if d := r.read(pkt[:], 1, now, 0, xaead); d != DropNone {
			b.Fatal(d)
		}
	}
}

// BenchmarkUDPRoundTrip: one 100-byte payload client -> server over
// loopback, all the way to PollEvent.
func BenchmarkUDPRoundTrip(b *testing.B) {
	_, s, c := connectedPair(b, "127.0.0.1")
	payload := make([]byte, 100)
	var ev core.Event
	b.ReportAllocs()
	for b.Loop() {
		c.Send(payload)
		s.Update(0)
		for s.PollEvent(&ev) {
		}
	}
}

// BenchmarkConnect1024: 1,024 clients connect to one server over UDP
// loopback, handshake included (sockets are opened outside the timer).
func BenchmarkConnect1024(b *testing.B) {
	const n = 1024
	for b.Loop() {
		b.StopTimer()
		r := newRig(b, "127.0.0.1")
		s := r.startServer(r.serverConfig(n))
		for i := 0; i < n; i++ {
			r.connect(uint64(i), s)
		}
		for _, c := range r.clients {
			c.Update(0) // socket opened, first request sent
		}
		b.StartTimer()
		for s.NumConnected() < n || !allConnected(r.clients) {
			r.step(10 * time.Millisecond)
		}
		b.StopTimer()
		for _, c := range r.clients {
			c.Close()
		}
		s.Stop()
		b.StartTimer()
	}
}

func allConnected(cs []*Client) bool {
	for _, c := range cs {
		if c.State() != core.StateConnected {
			return false
		}
	}
	return true
}

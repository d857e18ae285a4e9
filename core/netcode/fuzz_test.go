package netcode

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// One fuzz target per decoder. `go test` replays the seeds below and the
// corpus in testdata/fuzz; `go test -fuzz FuzzX` explores.

func vectorFile(f *testing.F, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata/vectors", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

var (
	fuzzKey      = Key{0x40, 0x41, 0x42}
	fuzzProtocol = uint64(testProtocol)
)

func FuzzParseConnectToken(f *testing.F) {
	f.Add(vectorFile(f, "connect_token_ipv4.bin"))
	f.Add(vectorFile(f, "connect_token_dual_noexpire.bin"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := ParseConnectToken(b)
		if err != nil {
			return
		}
		wire, err := tok.MarshalBinary()
		if err != nil {
			t.Fatalf("parsed token does not marshal: %v", err)
		}
		again, err := ParseConnectToken(wire)
		if err != nil {
			t.Fatalf("marshalled token does not parse: %v", err)
		}
		if !equalTokens(tok, again) {
			t.Fatal("token changed in a round trip")
		}
	})
}

func equalTokens(a, b *ConnectToken) bool {
	wa, _ := a.MarshalBinary()
	wb, _ := b.MarshalBinary()
	return bytes.Equal(wa, wb)
}

// FuzzPrivateToken decodes private-token plaintext (what a server sees after
// the AEAD accepted a token sealed with its key).
func FuzzPrivateToken(f *testing.F) {
	f.Add(vectorFile(f, "connect_token_ipv4_private_plain.bin"))
	f.Add(vectorFile(f, "connect_token_dual_noexpire_private_plain.bin"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p PrivateToken
		if p.unmarshal(b) != nil {
			return
		}
		var plain [PrivateTokenSize]byte
		p.marshal(&plain)
		var q PrivateToken
		if err := q.unmarshal(plain[:]); err != nil {
			t.Fatalf("marshalled private token does not parse: %v", err)
		}
		if p.ClientID != q.ClientID || p.UserData != q.UserData || len(p.ServerAddresses) != len(q.ServerAddresses) {
			t.Fatal("private token changed in a round trip")
		}
	})
}

func FuzzChallengeToken(f *testing.F) {
	f.Add(vectorFile(f, "challenge_token_seq0_encrypted.bin"), uint64(0))
	f.Add(vectorFile(f, "challenge_token_seq0102030405060708_encrypted.bin"), uint64(0x0102030405060708))
	key := Key{0xc0}
	aead := newAEAD(&key)
	f.Fuzz(func(t *testing.T, b []byte, seq uint64) {
		if len(b) < ChallengeTokenSize {
			return
		}
		var nonce [12]byte
		var ct ChallengeToken
		if openChallengeToken(&ct, b, seq, aead, &nonce) == nil {
			var sealed [ChallengeTokenSize]byte
			sealChallengeToken(&sealed, &ct, seq, aead, &nonce)
			var back ChallengeToken
			if openChallengeToken(&back, sealed[:], seq, aead, &nonce) != nil || back != ct {
				t.Fatal("challenge token round trip failed")
			}
		}
	})
}

func FuzzRequestPacket(f *testing.F) {
	f.Add(vectorFile(f, "packet_request.bin"), uint64(1700000000))
	f.Add(make([]byte, requestPacketSize), uint64(0))
	pk := Key{0x60, 0x6a, 0xbe}
	xaead := newXAEAD(&pk)
	f.Fuzz(func(t *testing.T, wire []byte, now uint64) {
		var r request
		if r.read(wire, 0x1122334455667788, now, 0, xaead) == DropNone && len(wire) != requestPacketSize {
			t.Fatal("accepted a request of the wrong size")
		}
	})
}

// fuzzEncrypted fuzzes one packet type: a body sealed and read back must
// come back unchanged when its size is legal for the type and be dropped
// otherwise; raw wire bytes must never be accepted unless they decrypt.
func fuzzEncrypted(f *testing.F, typ PacketType, seeds ...string) {
	for _, s := range seeds {
		f.Add(vectorFile(f, s), []byte{}, uint64(0))
	}
	f.Add([]byte{byte(typ) | 0x10, 0}, bytes.Repeat([]byte{1}, 8), uint64(1)<<63)
	aead := newAEAD(&fuzzKey)
	f.Fuzz(func(t *testing.T, wire, body []byte, seq uint64) {
		var c codec
		c.init(fuzzProtocol)
		var w replayWindow
		w.reset()
		c.readEncrypted(append([]byte(nil), wire...), serverAccepts|clientAccepts, aead, &w)

		if len(body) > MaxPayloadSize+1 {
			body = body[:MaxPayloadSize+1]
		}
		buf := make([]byte, maxPacketSize+1)
		copy(buf[headerSize(seq):], body)
		pkt := c.seal(buf, typ, seq, len(body), aead)
		h, got, drop := c.readEncrypted(pkt, serverAccepts|clientAccepts, aead, &w)
		if !bodySizeOK(typ, len(body)) {
			if drop != DropMalformed {
				t.Fatalf("%v body of %d bytes: drop %v", typ, len(body), drop)
			}
			return
		}
		if drop == DropReplayed {
			return // the raw wire above used the same sequence
		}
		if drop != DropNone || h.typ != typ || h.seq != seq || !bytes.Equal(got, body) {
			t.Fatalf("%v round trip: drop %v type %v seq %d", typ, drop, h.typ, h.seq)
		}
	})
}

func FuzzDeniedPacket(f *testing.F)    { fuzzEncrypted(f, PacketDenied, "packet_denied.bin") }
func FuzzChallengePacket(f *testing.F) { fuzzEncrypted(f, PacketChallenge, "packet_challenge.bin") }
func FuzzResponsePacket(f *testing.F)  { fuzzEncrypted(f, PacketResponse, "packet_response.bin") }
func FuzzKeepAlivePacket(f *testing.F) {
	fuzzEncrypted(f, PacketKeepAlive, "packet_keep_alive_c2s.bin", "packet_keep_alive_s2c.bin")
}
func FuzzPayloadPacket(f *testing.F) {
	fuzzEncrypted(f, PacketPayload, "packet_payload_c2s_100.bin", "packet_payload_s2c_1.bin", "packet_payload_s2c_1200.bin")
}
func FuzzDisconnectPacket(f *testing.F) {
	fuzzEncrypted(f, PacketDisconnect, "packet_disconnect_c2s.bin", "packet_disconnect_s2c.bin")
}

package netcode

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every byte of every vector packet, flipped, must make the reader drop the
// packet: the prefix and sequence are in the AEAD's associated data and
// nonce, and everything after them is ciphertext or tag.
func TestTamperedPacketsRejected(t *testing.T) {
	vs := loadVectors(t)
	for _, v := range vs.Packets {
		if v.Type == int(PacketRequest) {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			var c codec
			c.init(u64(t, v.ProtocolID))
			k := key(t, v.Key)
			aead := newAEAD(&k)
			wire := unhex(t, v.Wire)
			for i := range wire {
				for _, bit := range []byte{0x01, 0x80} {
					pkt := append([]byte(nil), wire...)
					pkt[i] ^= bit
					_, _, drop := c.readEncrypted(pkt, serverAccepts|clientAccepts, aead, nil)
					require.NotEqual(t, DropNone, drop, "byte %d ^ %#x accepted", i, bit)
				}
			}
		})
	}
}

// Every byte a client sends the server from its token (the request packet:
// version, protocol id, expiry, nonce, sealed private token) is checked:
// flipping any one gets the request dropped.
func TestTamperedRequestRejected(t *testing.T) {
	vs := loadVectors(t)
	v := vs.Tokens[0]
	p := tokenParams(t, &v)
	tok, err := GenerateConnectToken(p)
	require.NoError(t, err)
	var req [requestPacketSize]byte
	writeRequest(&req, tok)
	now := u64(t, v.CreateTimestamp)
	aead := newXAEAD(&p.PrivateKey)

	var r request
	require.Equal(t, DropNone, r.read(req[:], p.ProtocolID, now, 0, aead))
	for i := range req {
		pkt := req
		pkt[i] ^= 0x01
		require.NotEqual(t, DropNone, r.read(pkt[:], p.ProtocolID, now, 0, aead), "byte %d flipped accepted", i)
	}
}

// Flipping any byte of the sealed private token or of a sealed challenge
// token makes it fail to open.
func TestTamperedTokensRejected(t *testing.T) {
	vs := loadVectors(t)
	p := tokenParams(t, &vs.Tokens[1])
	tok, err := GenerateConnectToken(p)
	require.NoError(t, err)
	for i := range tok.PrivateData {
		sealed := tok.PrivateData
		sealed[i] ^= 0x40
		_, err := OpenPrivateToken(&sealed, tok.ProtocolID, tok.ExpireTimestamp, &tok.Nonce, &p.PrivateKey)
		require.ErrorIs(t, err, ErrTokenDecrypt, "private byte %d", i)
	}
	for _, field := range []struct {
		name                   string
		protocolDelta, expDelt uint64
	}{{"protocol id", 1, 0}, {"expire timestamp", 0, 1}} {
		_, err := OpenPrivateToken(&tok.PrivateData, tok.ProtocolID+field.protocolDelta, tok.ExpireTimestamp+field.expDelt, &tok.Nonce, &p.PrivateKey)
		require.ErrorIs(t, err, ErrTokenDecrypt, field.name)
	}

	for _, v := range vs.Challenges {
		k := key(t, v.Key)
		aead := newAEAD(&k)
		var nonce [12]byte
		enc := unhex(t, v.Encrypted)
		for i := range enc {
			sealed := append([]byte(nil), enc...)
			sealed[i] ^= 0x02
			var ct ChallengeToken
			require.Error(t, openChallengeToken(&ct, sealed, u64(t, v.Sequence), aead, &nonce), "%s byte %d", v.Name, i)
		}
		var ct ChallengeToken
		require.Error(t, openChallengeToken(&ct, append([]byte(nil), enc...), u64(t, v.Sequence)+1, aead, &nonce), "%s wrong sequence", v.Name)
	}
}

func TestParseConnectTokenRejectsGarbage(t *testing.T) {
	vs := loadVectors(t)
	good := unhex(t, vs.Tokens[1].ConnectToken)
	cases := map[string][]byte{
		"empty":     nil,
		"short":     good[:ConnectTokenSize-1],
		"long":      append(append([]byte(nil), good...), 0),
		"version":   flip(good, 3),
		"zero addr": setU32(good, 1089, 0),
		"33 addrs":  setU32(good, 1089, 33),
		"addr type": setByte(good, 1093, 3),
		"created after expiry": func() []byte {
			b := append([]byte(nil), unhex(t, vs.Tokens[0].ConnectToken)...)
			b[21+7] = 0xff
			return b
		}(),
	}
	for name, b := range cases {
		_, err := ParseConnectToken(b)
		require.ErrorIs(t, err, ErrInvalidToken, name)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

func setByte(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[i] = v
	return c
}

func setU32(b []byte, i int, v uint32) []byte {
	c := append([]byte(nil), b...)
	c[i], c[i+1], c[i+2], c[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	return c
}

func TestGenerateConnectTokenChecksInput(t *testing.T) {
	k, err := GenerateKey()
	require.NoError(t, err)
	base := TokenParams{PrivateKey: k, ExpireSeconds: 30, Now: time.Unix(1700000000, 0)}
	_, err = GenerateConnectToken(base)
	require.ErrorIs(t, err, ErrInvalidToken, "no address")

	many := make([]netip.AddrPort, 33)
	for i := range many {
		many[i] = netip.MustParseAddrPort("127.0.0.1:40000")
	}
	base.PublicAddresses = many
	_, err = GenerateConnectToken(base)
	require.ErrorIs(t, err, ErrInvalidToken, "33 addresses")

	base.PublicAddresses = many[:32]
	tok, err := GenerateConnectToken(base)
	require.NoError(t, err, "32 addresses")
	wire, err := tok.MarshalBinary()
	require.NoError(t, err)
	back, err := ParseConnectToken(wire)
	require.NoError(t, err)
	require.Len(t, back.ServerAddresses, 32)

	_, err = KeyFromBytes(make([]byte, 31))
	require.ErrorIs(t, err, ErrInvalidKey)
}

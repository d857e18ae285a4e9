package netcode

import (
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The vectors were produced by the reference C implementation (see
// testdata/vectors/README.txt); every byte here must match.

type vecToken struct {
	Name              string   `json:"name"`
	Public            []string `json:"public_server_addresses"`
	Internal          []string `json:"internal_server_addresses"`
	PrivateKey        string   `json:"private_key"`
	ProtocolID        string   `json:"protocol_id"`
	ClientID          string   `json:"client_id"`
	CreateTimestamp   string   `json:"create_timestamp"`
	ExpireSeconds     int64    `json:"expire_seconds"`
	ExpireTimestamp   string   `json:"expire_timestamp"`
	TimeoutSeconds    int32    `json:"timeout_seconds"`
	Nonce             string   `json:"nonce"`
	C2S               string   `json:"client_to_server_key"`
	S2C               string   `json:"server_to_client_key"`
	UserData          string   `json:"user_data"`
	PrivatePlain      string   `json:"private_plain"`
	PrivateEncrypted  string   `json:"private_encrypted"`
	ConnectToken      string   `json:"connect_token"`
	PrivateAssociated string   `json:"private_associated_data"`
}

type vecChallenge struct {
	Name      string `json:"name"`
	ClientID  string `json:"client_id"`
	UserData  string `json:"user_data"`
	Key       string `json:"key"`
	Sequence  string `json:"sequence"`
	Plain     string `json:"plain"`
	Encrypted string `json:"encrypted"`
}

type vecPacket struct {
	Name       string `json:"name"`
	Type       int    `json:"packet_type"`
	Key        string `json:"key"`
	ProtocolID string `json:"protocol_id"`
	Sequence   string `json:"sequence"`
	SeqBytes   int    `json:"sequence_bytes"`
	Prefix     string `json:"prefix_byte"`
	Body       string `json:"plaintext_body"`
	Nonce      string `json:"nonce"`
	Wire       string `json:"wire"`
}

type vecRead struct {
	Name       string  `json:"name"`
	Reader     string  `json:"reader"`
	ReadKey    *string `json:"read_key"`
	PrivateKey *string `json:"private_key"`
	ProtocolID string  `json:"protocol_id"`
	Now        string  `json:"current_timestamp"`
	Wire       string  `json:"wire"`
	Expected   string  `json:"expected"`
}

type vecReplay struct {
	Sequence   string `json:"sequence"`
	Expected   string `json:"expected"`
	MostRecent string `json:"most_recent_sequence_after"`
}

type vectors struct {
	Tokens     []vecToken     `json:"connect_tokens"`
	Challenges []vecChallenge `json:"challenge_tokens"`
	Packets    []vecPacket    `json:"packets"`
	Sweep      []vecPacket    `json:"keep_alive_sequence_sweep"`
	ReadTests  []vecRead      `json:"read_tests"`
	Replay     []vecReplay    `json:"replay_protection_sequence"`
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors/vectors.json")
	require.NoError(t, err)
	var v vectors
	require.NoError(t, json.Unmarshal(b, &v))
	return &v
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func u64(t testing.TB, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	require.NoError(t, err)
	return v
}

func key(t testing.TB, s string) Key {
	t.Helper()
	k, err := KeyFromBytes(unhex(t, s))
	require.NoError(t, err)
	return k
}

func addrs(t testing.TB, ss []string) []netip.AddrPort {
	t.Helper()
	out := make([]netip.AddrPort, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddrPort(s)
	}
	return out
}

func tokenParams(t testing.TB, v *vecToken) TokenParams {
	nonce := [xnonceSize]byte(unhex(t, v.Nonce))
	c2s, s2c := key(t, v.C2S), key(t, v.S2C)
	p := TokenParams{
		ProtocolID:        u64(t, v.ProtocolID),
		ClientID:          u64(t, v.ClientID),
		PrivateKey:        key(t, v.PrivateKey),
		PublicAddresses:   addrs(t, v.Public),
		InternalAddresses: addrs(t, v.Internal),
		ExpireSeconds:     v.ExpireSeconds,
		TimeoutSeconds:    v.TimeoutSeconds,
		UserData:          [UserDataSize]byte(unhex(t, v.UserData)),
		Now:               time.Unix(int64(u64(t, v.CreateTimestamp)), 0),
		Nonce:             &nonce,
		ClientToServerKey: &c2s,
		ServerToClientKey: &s2c,
	}
	return p
}

func TestVectorConnectTokens(t *testing.T) {
	for _, v := range loadVectors(t).Tokens {
		t.Run(v.Name, func(t *testing.T) {
			p := tokenParams(t, &v)
			tok, err := GenerateConnectToken(p)
			require.NoError(t, err)
			require.Equal(t, u64(t, v.ExpireTimestamp), tok.ExpireTimestamp)

			priv := PrivateToken{
				ClientID: p.ClientID, TimeoutSeconds: p.TimeoutSeconds, ServerAddresses: p.InternalAddresses,
				ClientToServerKey: *p.ClientToServerKey, ServerToClientKey: *p.ServerToClientKey, UserData: p.UserData,
			}
			var plain [PrivateTokenSize]byte
			priv.marshal(&plain)
			require.Equal(t, v.PrivatePlain, hex.EncodeToString(plain[:]), "private plaintext")
			require.Equal(t, v.PrivateEncrypted, hex.EncodeToString(tok.PrivateData[:]), "sealed private token")

			wire, err := tok.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, v.ConnectToken, hex.EncodeToString(wire), "connect token")

			back, err := ParseConnectToken(wire)
			require.NoError(t, err)
			require.Equal(t, tok, back)

			opened, err := OpenPrivateToken(&back.PrivateData, back.ProtocolID, back.ExpireTimestamp, &back.Nonce, &p.PrivateKey)
			require.NoError(t, err)
			require.Equal(t, priv, *opened)
		})
	}
}

func TestVectorChallengeTokens(t *testing.T) {
	for _, v := range loadVectors(t).Challenges {
		t.Run(v.Name, func(t *testing.T) {
			k := key(t, v.Key)
			aead := newAEAD(&k)
			var nonce [12]byte
			ct := ChallengeToken{ClientID: u64(t, v.ClientID), UserData: [UserDataSize]byte(unhex(t, v.UserData))}
			var sealed [ChallengeTokenSize]byte
			sealChallengeToken(&sealed, &ct, u64(t, v.Sequence), aead, &nonce)
			require.Equal(t, v.Encrypted, hex.EncodeToString(sealed[:]))

			var back ChallengeToken
			require.NoError(t, openChallengeToken(&back, sealed[:], u64(t, v.Sequence), aead, &nonce))
			require.Equal(t, ct, back)
			require.Equal(t, v.Plain[:2*(ChallengeTokenSize-macSize)], hex.EncodeToString(sealed[:ChallengeTokenSize-macSize]), "decrypted in place to the plaintext")
		})
	}
}

// sealVector builds a packet the way the client and server do: body after
// the header in one buffer, sealed in place.
func sealVector(t testing.TB, v *vecPacket) []byte {
	var c codec
	c.init(u64(t, v.ProtocolID))
	k := key(t, v.Key)
	seq := u64(t, v.Sequence)
	body := unhex(t, v.Body)
	buf := make([]byte, maxPacketSize)
	copy(buf[headerSize(seq):], body)
	return c.seal(buf, PacketType(v.Type), seq, len(body), newAEAD(&k))
}

func TestVectorPackets(t *testing.T) {
	vs := loadVectors(t)
	for _, v := range append(vs.Packets, vs.Sweep...) {
		t.Run(v.Name, func(t *testing.T) {
			if v.Type == int(PacketRequest) {
				tok, err := GenerateConnectToken(tokenParams(t, &vs.Tokens[0]))
				require.NoError(t, err)
				var req [requestPacketSize]byte
				writeRequest(&req, tok)
				require.Equal(t, v.Wire, hex.EncodeToString(req[:]))
				return
			}
			require.Equal(t, v.SeqBytes, sequenceBytes(u64(t, v.Sequence)))
			wire := sealVector(t, &v)
			require.Equal(t, v.Wire, hex.EncodeToString(wire))

			var c codec
			c.init(u64(t, v.ProtocolID))
			k := key(t, v.Key)
			h, body, drop := c.readEncrypted(wire, serverAccepts|clientAccepts, newAEAD(&k), nil)
			require.Equal(t, DropNone, drop)
			require.Equal(t, PacketType(v.Type), h.typ)
			require.Equal(t, u64(t, v.Sequence), h.seq)
			require.Equal(t, v.Body, hex.EncodeToString(body))
		})
	}
}

// readAsReference reads one packet the way netcode_read_packet does, with a
// fresh replay window, and reports whether it was accepted.
func readAsReference(t testing.TB, v *vecRead) (PacketType, bool) {
	wire := unhex(t, v.Wire)
	protocol := u64(t, v.ProtocolID)
	accepts := clientAccepts
	if v.Reader == "server" {
		accepts = serverAccepts
	}
	if len(wire) > 0 && PacketType(wire[0]&0xf) == PacketRequest {
		if !accepts.has(PacketRequest) || v.PrivateKey == nil {
			return PacketRequest, false
		}
		pk := key(t, *v.PrivateKey)
		var r request
		return PacketRequest, r.read(wire, protocol, u64(t, v.Now), 0, newXAEAD(&pk)) == DropNone
	}
	var c codec
	c.init(protocol)
	k := key(t, *v.ReadKey)
	var replay replayWindow
	replay.reset()
	h, _, drop := c.readEncrypted(wire, accepts, newAEAD(&k), &replay)
	return h.typ, drop == DropNone
}

func TestVectorReadTests(t *testing.T) {
	vs := loadVectors(t)
	require.Len(t, vs.ReadTests, 35)
	for _, v := range vs.ReadTests {
		t.Run(v.Name, func(t *testing.T) {
			_, ok := readAsReference(t, &v)
			require.Equal(t, v.Expected == "accept", ok, "reference says %s", v.Expected)
		})
	}
}

func TestVectorReplaySequence(t *testing.T) {
	vs := loadVectors(t)
	require.Len(t, vs.Replay, 16)
	k := key(t, vs.Tokens[0].C2S)
	aead := newAEAD(&k)
	var c codec
	c.init(u64(t, vs.Tokens[0].ProtocolID))
	var w replayWindow
	w.reset()
	for i, step := range vs.Replay {
		seq := u64(t, step.Sequence)
		buf := make([]byte, maxPacketSize)
		pkt := c.seal(buf, PacketKeepAlive, seq, keepAliveBodySize, aead)
		_, _, drop := c.readEncrypted(pkt, serverAccepts, aead, &w)
		require.Equal(t, step.Expected == "accept", drop == DropNone, "step %d seq %d", i, seq)
		if drop != DropNone {
			require.Equal(t, DropReplayed, drop)
		}
		require.Equal(t, u64(t, step.MostRecent), w.mostRecent, "step %d", i)
	}
}

// The raw .bin files are the same bytes as the JSON; check they agree so
// that the fuzz seeds built from them are the reference's.
func TestVectorBinFilesMatchJSON(t *testing.T) {
	vs := loadVectors(t)
	for _, v := range vs.Packets {
		b, err := os.ReadFile("testdata/vectors/packet_" + v.Name + ".bin")
		require.NoError(t, err)
		require.Equal(t, v.Wire, hex.EncodeToString(b), v.Name)
	}
	for _, v := range vs.Tokens {
		b, err := os.ReadFile("testdata/vectors/" + v.Name + ".bin")
		require.NoError(t, err)
		require.Equal(t, v.ConnectToken, hex.EncodeToString(b), v.Name)
	}
}

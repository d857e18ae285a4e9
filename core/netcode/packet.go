package netcode

import (
	"crypto/cipher"
	"encoding/binary"
	"math/bits"
)

// PacketType is the low nibble of a packet's prefix byte.
type PacketType uint8

const (
	PacketRequest PacketType = iota
	PacketDenied
	PacketChallenge
	PacketResponse
	PacketKeepAlive
	PacketPayload
	PacketDisconnect
	numPacketTypes
)

var packetTypeNames = [...]string{"request", "denied", "challenge", "response", "keep-alive", "payload", "disconnect"}

func (t PacketType) String() string {
	if t < numPacketTypes {
		return packetTypeNames[t]
	}
	return "invalid"
}

// typeSet is a bit set of packet types one side accepts.
type typeSet uint8

func (s typeSet) has(t PacketType) bool { return s&(1<<t) != 0 }

const (
	serverAccepts typeSet = 1<<PacketRequest | 1<<PacketResponse | 1<<PacketKeepAlive | 1<<PacketPayload | 1<<PacketDisconnect
	clientAccepts typeSet = 1<<PacketDenied | 1<<PacketChallenge | 1<<PacketKeepAlive | 1<<PacketPayload | 1<<PacketDisconnect
)

// DropReason says why a received datagram was discarded. Every drop is
// silent on the wire and counted.
type DropReason uint8

const (
	DropNone DropReason = iota
	// DropMalformed: wrong size, version, type, prefix or body.
	DropMalformed
	// DropReplayed: the replay window has seen the sequence.
	DropReplayed
	// DropDecrypt: the AEAD rejected the packet or token.
	DropDecrypt
	// DropUnknownAddress: an encrypted packet from an address with no key.
	DropUnknownAddress
	// DropQueueFull: a payload arrived while the receive queue was full.
	DropQueueFull
	// DropRejected: well-formed but refused by the protocol (expired or
	// reused token, wrong protocol id, server address not in the token,
	// already connected, a packet unexpected in the current state).
	DropRejected
	// DropOversized: larger than the biggest netcode packet (maxPacketSize,
	// a 1200-byte payload), or truncated by the read.
	DropOversized
	// DropTableFull: a request with a valid token refused because the
	// token history or the table of handshakes in progress is full.
	DropTableFull
	numDropReasons
)

var dropNames = [...]string{"none", "malformed", "replayed", "decryption failed", "unknown address", "queue full", "rejected", "oversized", "table full"}

func (d DropReason) String() string {
	if d < numDropReasons {
		return dropNames[d]
	}
	return "invalid"
}

// sequenceBytes is the fewest bytes that hold seq; 0 still takes one.
func sequenceBytes(seq uint64) int {
	n := (bits.Len64(seq) + 7) / 8
	if n == 0 {
		return 1
	}
	return n
}

// codec holds what an endpoint needs to read and write encrypted packets
// without allocating: the associated-data prefix for its protocol id and
// nonce scratch (a nonce on the stack escapes through cipher.AEAD).
type codec struct {
	protocolID uint64
	ad         [versionSize + 8 + 1]byte
	nonce      [12]byte
}

func (c *codec) init(protocolID uint64) {
	c.protocolID = protocolID
	copy(c.ad[:], Version)
	binary.LittleEndian.PutUint64(c.ad[versionSize:], protocolID)
}

// headerSize is the size of the prefix and sequence for seq.
func headerSize(seq uint64) int { return 1 + sequenceBytes(seq) }

// seal turns out into an encrypted packet. The body must already be at
// out[headerSize(seq):][:bodyLen]; it is encrypted in place. out needs room
// for the tag. It returns the whole packet.
func (c *codec) seal(out []byte, t PacketType, seq uint64, bodyLen int, aead cipher.AEAD) []byte {
	n := sequenceBytes(seq)
	prefix := byte(n<<4) | byte(t)
	out[0] = prefix
	for i := 0; i < n; i++ {
		out[1+i] = byte(seq >> (8 * i))
	}
	hdr := 1 + n
	c.ad[len(c.ad)-1] = prefix
	sequenceNonce(&c.nonce, seq)
	return aead.Seal(out[:hdr], c.nonce[:], out[hdr:hdr+bodyLen], c.ad[:])
}

// header is the clear part of an encrypted packet.
type header struct {
	typ    PacketType
	seq    uint64
	prefix byte
	size   int // prefix plus sequence bytes
}

// parseHeader applies the checks that come before the key look-up and the
// replay check, in the reference's order: size, type, role, sequence bytes.
func parseHeader(pkt []byte, accepts typeSet) (header, DropReason) {
	if len(pkt) < minEncryptedPacket {
		return header{}, DropMalformed
	}
	prefix := pkt[0]
	t := PacketType(prefix & 0xf)
	if t >= numPacketTypes || t == PacketRequest || !accepts.has(t) {
		return header{}, DropMalformed
	}
	n := int(prefix >> 4)
	if n < 1 || n > 8 || len(pkt) < 1+n+macSize {
		return header{}, DropMalformed
	}
	var seq uint64
	for i := 0; i < n; i++ {
		seq |= uint64(pkt[1+i]) << (8 * i)
	}
	return header{typ: t, seq: seq, prefix: prefix, size: 1 + n}, DropNone
}

// needsReplayCheck: only keep-alive, payload and disconnect packets go
// through the replay window.
func (h *header) needsReplayCheck() bool {
	return h.typ >= PacketKeepAlive
}

// open decrypts pkt in place and checks the body size of its type.
func (c *codec) open(pkt []byte, h *header, aead cipher.AEAD) ([]byte, DropReason) {
	c.ad[len(c.ad)-1] = h.prefix
	sequenceNonce(&c.nonce, h.seq)
	body, err := aead.Open(pkt[h.size:h.size], c.nonce[:], pkt[h.size:], c.ad[:])
	if err != nil {
		return nil, DropDecrypt
	}
	if !bodySizeOK(h.typ, len(body)) {
		return nil, DropMalformed
	}
	return body, DropNone
}

func bodySizeOK(t PacketType, n int) bool {
	switch t {
	case PacketDenied, PacketDisconnect:
		return n == 0
	case PacketChallenge, PacketResponse:
		return n == challengeBodySize
	case PacketKeepAlive:
		return n == keepAliveBodySize
	case PacketPayload:
		return n >= 1 && n <= MaxPayloadSize
	}
	return false
}

// readEncrypted runs the whole read of an encrypted packet in the
// reference's order. replay may be nil (no replay protection).
func (c *codec) readEncrypted(pkt []byte, accepts typeSet, aead cipher.AEAD, replay *replayWindow) (header, []byte, DropReason) {
	h, drop := parseHeader(pkt, accepts)
	if drop != DropNone {
		return h, nil, drop
	}
	if replay != nil && h.needsReplayCheck() && replay.alreadyReceived(h.seq) {
		return h, nil, DropReplayed
	}
	body, drop := c.open(pkt, &h, aead)
	if drop != DropNone {
		return h, nil, drop
	}
	if replay != nil && h.needsReplayCheck() {
		replay.advance(h.seq)
	}
	return h, body, DropNone
}

// Request packets are never encrypted: 0 || VERSION || protocol_id ||
// expire_timestamp || token nonce || sealed private token.
const (
	reqVersion  = 1
	reqProtocol = reqVersion + versionSize
	reqExpire   = reqProtocol + 8
	reqNonce    = reqExpire + 8
	reqPrivate  = reqNonce + xnonceSize
)

// writeRequest builds the 1078-byte request packet from a token.
func writeRequest(out *[requestPacketSize]byte, t *ConnectToken) {
	out[0] = byte(PacketRequest)
	copy(out[reqVersion:], Version)
	binary.LittleEndian.PutUint64(out[reqProtocol:], t.ProtocolID)
	binary.LittleEndian.PutUint64(out[reqExpire:], t.ExpireTimestamp)
	copy(out[reqNonce:], t.Nonce[:])
	copy(out[reqPrivate:], t.PrivateData[:])
}

// request is a request packet read and decrypted by a server.
type request struct {
	expire  uint64
	token   PrivateToken
	mac     [macSize]byte // the token's tag: its identity for reuse checks
	scratch [PrivateTokenSize]byte
}

// readRequest checks and decrypts a request in the reference's order:
// size, version, protocol id, expiry (expire <= now is refused, and so is
// expire < minExpire: the restart rule, 0 for none), decrypt, parse.
func (r *request) read(pkt []byte, protocolID, nowUnix, minExpire uint64, xaead cipher.AEAD) DropReason {
	if len(pkt) != requestPacketSize || pkt[0] != byte(PacketRequest) {
		return DropMalformed
	}
	if string(pkt[reqVersion:reqVersion+versionSize]) != Version {
		return DropMalformed
	}
	if binary.LittleEndian.Uint64(pkt[reqProtocol:]) != protocolID {
		return DropRejected
	}
	r.expire = binary.LittleEndian.Uint64(pkt[reqExpire:])
	if r.expire <= nowUnix || r.expire < minExpire {
		return DropRejected
	}
	sealed := pkt[reqPrivate:]
	copy(r.mac[:], sealed[PrivateTokenSize-macSize:])
	if err := openPrivateToken(&r.token, &r.scratch, sealed, protocolID, r.expire, pkt[reqNonce:reqPrivate], xaead); err != nil {
		if err == ErrTokenDecrypt {
			return DropDecrypt
		}
		return DropMalformed
	}
	return DropNone
}

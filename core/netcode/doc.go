// Package netcode implements netcode.io 1.02, byte-compatible with the
// reference C implementation: connect tokens, challenge tokens, the seven
// packet types and their encryption, replay protection, and a client and a
// server that implement core.Client and core.Server.
//
// Facts taken from the standard (mas-bandwidth/netcode STANDARD.md, 1.02)
// and the reference (IMPLEMENTERS.md; pull request #184 for 1.4.5):
// every integer is little-endian; IPv6 address groups are
// written as little-endian group values; packet nonces are four zero bytes
// followed by the sequence; the server's pre-connection sequence starts at
// 2^63; the 1.4.5 token-reuse rules apply.
package netcode

import "time"

// Version is the wire version string, NUL included.
const Version = "NETCODE 1.02\x00"

const (
	versionSize          = 13
	KeySize              = 32
	macSize              = 16
	xnonceSize           = 24
	UserDataSize         = 256
	MaxServerAddresses   = 32
	ConnectTokenSize     = 2048
	PrivateTokenSize     = 1024
	ChallengeTokenSize   = 300
	MaxPayloadSize       = 1200
	requestPacketSize    = 1078
	challengeBodySize    = 8 + ChallengeTokenSize
	keepAliveBodySize    = 8
	minEncryptedPacket   = 18 // prefix + 1 sequence byte + MAC
	maxPacketSize        = 1 + 8 + MaxPayloadSize + macSize
	sendRate             = 100 * time.Millisecond
	disconnectRedundancy = 10
	replayBufferSize     = 256
	// DefaultMaxClients is the reference's compile-time limit; ours is a
	// run-time setting.
	DefaultMaxClients = 256
	// DefaultMaxTokenLifetime is the reference's default for the restart
	// rule (ServerConfig.MaxTokenLifetime).
	DefaultMaxTokenLifetime = 30 * time.Second
	// DefaultMaxReadsPerUpdate is the client's bound on the datagrams one
	// Update reads, and the least of the server's per socket
	// (ClientConfig.MaxReadsPerUpdate, ServerConfig.MaxReadsPerUpdate).
	DefaultMaxReadsPerUpdate = 4096
	// DefaultTokenHistorySize is the least default of
	// ServerConfig.TokenHistorySize: 524,288 tokens, at most about
	// 60 MiB (TokenHistoryEntryBytes each), enough for 17,000 joins a
	// second sustained with 30 s tokens, 1,700 with 5-minute ones, or
	// half a million joins over a server's life with tokens that never
	// expire. The memory is taken as tokens arrive, not up front.
	DefaultTokenHistorySize = 1 << 19
	// DefaultMaxPending is the least default of ServerConfig.MaxPending:
	// 16,384 handshakes in progress, at most about 5.3 MiB
	// (PendingEntryBytes each). A handshake takes a round trip, or, if
	// the client goes quiet, its token's timeout and up to a second more
	// until the sweep: about 2,700 stalled joins a second with 5 s
	// timeouts.
	DefaultMaxPending = 1 << 14
	// TokenHistoryEntryBytes is the most heap one token history entry
	// takes: 83 to 115 bytes measured from 57 to 524,288 entries, the
	// most just after a map grows (897 entries); TestTokenHistoryMemory
	// pins it at sizes like that.
	TokenHistoryEntryBytes = 120
	// PendingEntryBytes is the most heap one handshake in progress takes
	// (its keys, kept raw for a driver of the steady state too, their two
	// AEADs, its state and its map slot): 288 to 318 bytes measured, the
	// most just after a map grows (449 and 897 entries);
	// TestPendingMemory pins it.
	PendingEntryBytes = 340
)

// Key is a 32-byte symmetric key: the private key shared by the backend and
// the servers, or a per-connection packet key.
type Key [KeySize]byte

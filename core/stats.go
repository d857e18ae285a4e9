package core

import "time"

// Stats counts traffic on a connection or a whole server. Dropped packets
// are counted by cause; a drop is never answered on the wire.
type Stats struct {
	PacketsSent     uint64
	PacketsReceived uint64
	BytesSent       uint64
	BytesReceived   uint64
	// Drops by cause.
	DroppedMalformed      uint64 // wrong size, version, type or body
	DroppedReplayed       uint64 // sequence already seen or too old
	DroppedDecryptFailed  uint64 // AEAD rejected a packet or token
	DroppedUnknownAddress uint64 // encrypted packet from an address with no key
	DroppedQueueFull      uint64 // payload arrived with the receive queue full
	DroppedRejected       uint64 // well formed but refused (expired or reused token, wrong protocol, ...)
	DroppedOversized      uint64 // datagram larger than the biggest netcode packet (truncated by the read)
	DroppedTableFull      uint64 // connection request refused: token history or pending-handshake table full
	// SinceLastReceive is the time since the last packet was accepted.
	SinceLastReceive time.Duration
}

// Add adds o's counters to s's, for totals over connections or backends.
// SinceLastReceive, a time rather than a count, is left as it is.
func (s *Stats) Add(o Stats) {
	s.PacketsSent += o.PacketsSent
	s.PacketsReceived += o.PacketsReceived
	s.BytesSent += o.BytesSent
	s.BytesReceived += o.BytesReceived
	s.DroppedMalformed += o.DroppedMalformed
	s.DroppedReplayed += o.DroppedReplayed
	s.DroppedDecryptFailed += o.DroppedDecryptFailed
	s.DroppedUnknownAddress += o.DroppedUnknownAddress
	s.DroppedQueueFull += o.DroppedQueueFull
	s.DroppedRejected += o.DroppedRejected
	s.DroppedOversized += o.DroppedOversized
	s.DroppedTableFull += o.DroppedTableFull
}

// Dropped is the total of every drop counter.
func (s Stats) Dropped() uint64 {
	return s.DroppedMalformed + s.DroppedReplayed + s.DroppedDecryptFailed +
		s.DroppedUnknownAddress + s.DroppedQueueFull + s.DroppedRejected +
		s.DroppedOversized + s.DroppedTableFull
}

package netcode

import "github.com/lightyear-conn/lightyear_conn/core"

// countDrop adds one drop of the given cause to s.
func countDrop(s *core.Stats, d DropReason) {
	switch d {
	case DropMalformed:
		s.DroppedMalformed++
	case DropReplayed:
		s.DroppedReplayed++
	case DropDecrypt:
		s.DroppedDecryptFailed++
	case DropUnknownAddress:
		s.DroppedUnknownAddress++
	case DropQueueFull:
		s.DroppedQueueFull++
	case DropRejected:
		s.DroppedRejected++
	case DropOversized:
		s.DroppedOversized++
	case DropTableFull:
		s.DroppedTableFull++
	}
}

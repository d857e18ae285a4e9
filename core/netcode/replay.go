package netcode

import "math"

const replayEmpty = math.MaxUint64

// replayWindow rejects packets whose sequence was already received or is
// too old to tell, as the reference does: 256 slots, most recent sequence.
type replayWindow struct {
	mostRecent uint64
	received   [replayBufferSize]uint64
}

func (r *replayWindow) reset() {
	r.mostRecent = 0
	for i := range r.received {
		r.received[i] = replayEmpty
	}
}

// alreadyReceived reports whether seq must be dropped. The age test is
// written as seq <= mostRecent-256 because seq+256 overflows near 2^64.
func (r *replayWindow) alreadyReceived(seq uint64) bool {
	if r.mostRecent >= replayBufferSize && seq <= r.mostRecent-replayBufferSize {
		return true
	}
	e := r.received[seq%replayBufferSize]
	return e != replayEmpty && e >= seq
}

// advance records seq; call it only after the packet decrypted.
func (r *replayWindow) advance(seq uint64) {
	if seq > r.mostRecent {
		r.mostRecent = seq
	}
	r.received[seq%replayBufferSize] = seq
}

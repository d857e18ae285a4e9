package main

// stream is one direction of one session: how many payloads were sent and
// which of them arrived. A bit per sequence number is what catches a
// payload delivered twice, however late the second copy comes.
type stream struct {
	sent      uint64
	delivered uint64
	seen      []uint64 // bitset by sequence number
}

// next returns the sequence number of the next payload to send.
func (s *stream) next() uint64 {
	seq := s.sent
	s.sent++
	return seq
}

type deliverResult uint8

const (
	delivered deliverResult = iota
	duplicate               // this sequence number arrived before
	neverSent               // beyond what was sent: forged, misrouted or corrupt
)

// deliver records the arrival of seq.
func (s *stream) deliver(seq uint64) deliverResult {
	if seq >= s.sent {
		return neverSent
	}
	w, bit := seq/64, uint64(1)<<(seq%64)
	for uint64(len(s.seen)) <= w {
		s.seen = append(s.seen, 0)
	}
	if s.seen[w]&bit != 0 {
		return duplicate
	}
	s.seen[w] |= bit
	s.delivered++
	return delivered
}

// totals sums the streams of every finished session, by direction.
type totals struct {
	sent, delivered, lost uint64
	duplicates            uint64 // delivered a second time: a failure
	corrupt               uint64 // failed the payload check: a failure
	misrouted             uint64 // wrong session, direction or sequence: a failure
}

// finish adds a finished session's stream: whatever did not arrive by now,
// a drain after the last send, was lost.
func (t *totals) finish(s *stream) {
	t.sent += s.sent
	t.delivered += s.delivered
	t.lost += s.sent - s.delivered
}

package main

import "testing"

func TestPayloadRoundTrip(t *testing.T) {
	var buf [maxPayload]byte
	sizes := map[int]bool{}
	for seq := uint64(0); seq < 2000; seq++ {
		for _, d := range []direction{up, down} {
			p := encodePayload(buf[:], 7, 42, seq, d)
			sizes[len(p)] = true
			id, s, dir, err := decodePayload(p, 7)
			if err != nil || id != 42 || s != seq || dir != d {
				t.Fatalf("seq %d %v: got %d %d %v %v", seq, d, id, s, dir, err)
			}
		}
	}
	if len(sizes) < 100 {
		t.Errorf("only %d distinct sizes", len(sizes))
	}
}

// Any change to a payload is caught: every single-bit flip, truncation,
// a byte too many, and the right bytes under another run's seed.
func TestPayloadCorruptionDetected(t *testing.T) {
	var buf [maxPayload]byte
	for seq := uint64(0); seq < 40; seq++ {
		p := append([]byte(nil), encodePayload(buf[:], 7, 9, seq, up)...)
		for i := range p {
			for b := 0; b < 8; b++ {
				p[i] ^= 1 << b
				if _, _, _, err := decodePayload(p, 7); err == nil {
					t.Fatalf("seq %d: flip of byte %d bit %d not caught", seq, i, b)
				}
				p[i] ^= 1 << b
			}
		}
		if _, _, _, err := decodePayload(p[:len(p)-1], 7); err == nil {
			t.Fatalf("seq %d: truncation not caught", seq)
		}
		if _, _, _, err := decodePayload(append(p, 0), 7); err == nil {
			t.Fatalf("seq %d: extension not caught", seq)
		}
		if _, _, _, err := decodePayload(p, 8); err == nil {
			t.Fatalf("seq %d: wrong seed not caught", seq)
		}
	}
}

func TestStreamCatchesDuplicates(t *testing.T) {
	var s stream
	for range 200 {
		s.next()
	}
	if s.deliver(130) != delivered || s.deliver(0) != delivered {
		t.Fatal("first deliveries refused")
	}
	if s.deliver(130) != duplicate || s.deliver(0) != duplicate {
		t.Fatal("second delivery not caught")
	}
	if s.deliver(200) != neverSent {
		t.Fatal("sequence beyond what was sent not caught")
	}
	var tot totals
	tot.finish(&s)
	if tot.sent != 200 || tot.delivered != 2 || tot.lost != 198 {
		t.Fatalf("totals %+v", tot)
	}
}

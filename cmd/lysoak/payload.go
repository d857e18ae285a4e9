package main

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// A payload is self-describing so that the receiver can check it without
// any shared state but the run's seed:
//
//	[0:8)    session id (the netcode client id of the sending or receiving client)
//	[8:16)   sequence number within the session and direction
//	[16]     direction
//	[17:n-4) bytes from a PRNG seeded by (run seed, session, direction, sequence)
//	[n-4:n)  CRC-32C of [0:n-4)
//
// The length is drawn from the same PRNG, so truncation, a wrong body or a
// payload handed to the wrong client all fail the check.

type direction uint8

const (
	up   direction = 1 // client to server
	down direction = 2 // server to client
)

func (d direction) String() string {
	if d == up {
		return "c->s"
	}
	return "s->c"
}

const (
	headerLen  = 17
	trailerLen = 4
	minPayload = headerLen + trailerLen + 3
	maxPayload = 1200 // netcode.MaxPayloadSize
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// splitmix64 is a tiny PRNG: payload bytes need to be reproducible, not
// good, and this keeps generation far cheaper than the AEAD around it.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func payloadRNG(seed, session, seq uint64, dir direction) splitmix64 {
	r := splitmix64(seed ^ session*0x9e3779b97f4a7c15 ^ seq*0xc2b2ae3d27d4eb4f ^ uint64(dir)<<56)
	r.next()
	return r
}

// payloadLen: mostly small game-like payloads, one in 32 anywhere up to
// the netcode maximum so that large datagrams are exercised too.
func payloadLen(r *splitmix64) int {
	v := r.next()
	if v&31 == 0 {
		return minPayload + int((v>>8)%uint64(maxPayload-minPayload+1))
	}
	return minPayload + int((v>>8)%200)
}

// encodePayload writes the payload for (session, seq, dir) into buf and
// returns it.
func encodePayload(buf []byte, seed, session, seq uint64, dir direction) []byte {
	r := payloadRNG(seed, session, seq, dir)
	n := payloadLen(&r)
	p := buf[:n]
	binary.LittleEndian.PutUint64(p[0:], session)
	binary.LittleEndian.PutUint64(p[8:], seq)
	p[16] = byte(dir)
	fillBody(p[headerLen:n-trailerLen], &r)
	binary.LittleEndian.PutUint32(p[n-trailerLen:], crc32.Checksum(p[:n-trailerLen], castagnoli))
	return p
}

func fillBody(b []byte, r *splitmix64) {
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, r.next())
		b = b[8:]
	}
	if len(b) > 0 {
		var last [8]byte
		binary.LittleEndian.PutUint64(last[:], r.next())
		copy(b, last[:])
	}
}

var errCorrupt = errors.New("corrupt payload")

// decodePayload checks p completely and returns its header fields.
func decodePayload(p []byte, seed uint64) (session, seq uint64, dir direction, err error) {
	if len(p) < minPayload || len(p) > maxPayload {
		return 0, 0, 0, errCorrupt
	}
	n := len(p)
	if binary.LittleEndian.Uint32(p[n-trailerLen:]) != crc32.Checksum(p[:n-trailerLen], castagnoli) {
		return 0, 0, 0, errCorrupt
	}
	session = binary.LittleEndian.Uint64(p[0:])
	seq = binary.LittleEndian.Uint64(p[8:])
	dir = direction(p[16])
	r := payloadRNG(seed, session, seq, dir)
	if payloadLen(&r) != n {
		return 0, 0, 0, errCorrupt
	}
	body := p[headerLen : n-trailerLen]
	for len(body) > 0 {
		var want [8]byte
		binary.LittleEndian.PutUint64(want[:], r.next())
		k := min(8, len(body))
		if string(body[:k]) != string(want[:k]) {
			return 0, 0, 0, errCorrupt
		}
		body = body[k:]
	}
	return session, seq, dir, nil
}

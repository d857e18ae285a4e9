package netcode

import (
	"encoding/binary"
	"net/netip"
)

// tokenHistory is the server's memory for netcode 1.4.5's token rules: a
// token seen for the first time is pending (its request may be resent from
// the address that first sent it) until its handshake completes, then
// consumed, and refused from every address for as long as it is valid. It
// survives Stop and Start.
//
// A token can be replayed only while it is unexpired, so an entry is kept
// exactly until its token expires and no longer: entries leave soonest
// expiry first, taken from a heap, so forgetting never scans the history.
// A token that never expires stays for the life of the server, because
// nothing else could refuse it again (the request carries no creation time
// the server could age it by). When the history is full of unexpired
// tokens, new tokens are refused, never old ones evicted: eviction would
// let a flood reopen a consumed token.
//
// Entries hold no pointers, so the garbage collector never scans them
// however large the history grows. One costs TokenHistoryEntryBytes at
// most: a map slot (8-byte key and 20-byte value, padded to 32 bytes by
// the key's alignment, and a control byte) over the map's load, and 16
// bytes in the heap with its slice's spare capacity.
// Go maps keep their size after entries leave, so a history that once
// filled keeps that memory.
//
// Unsafe for concurrent use: the server's goroutine owns it.
type tokenHistory struct {
	uses   map[tokenKey]tokenUse
	expiry []tokenExpiry // min-heap on expire; never-expiring tokens are not in it
	limit  int
}

// tokenKey names a token in the history: the first 8 bytes of its MAC.
// The MAC is a Poly1305 tag under the private key, uniformly random and
// unforgeable, so two tokens share a key by chance only (about n/2^64 for
// a new token against n remembered ones) and nobody can make them collide.
// A collision can only refuse a fresh token, never admit a used one, so
// half the MAC is enough and saves 16 bytes an entry.
type tokenKey uint64

func keyOf(mac *[macSize]byte) tokenKey { return tokenKey(binary.LittleEndian.Uint64(mac[:8])) }

type tokenState uint8

const (
	tokenPending  tokenState = iota // seen; its handshake has not completed
	tokenConsumed                   // a handshake completed with it
	tokenDenied                     // the accept hook refused it
)

// tokenUse is one token's state and the address that first sent it, kept
// without netip's zone pointer: IPv4 as IPv4-mapped IPv6, the IPv6 zone
// dropped (two link-local peers on different interfaces with the same
// address and port would count as one address; nothing else does).
type tokenUse struct {
	addr  [16]byte
	port  uint16
	state tokenState
}

func newTokenUse(from netip.AddrPort) tokenUse {
	return tokenUse{addr: from.Addr().As16(), port: from.Port()}
}

func (u tokenUse) from(a netip.AddrPort) bool {
	return u.addr == a.Addr().As16() && u.port == a.Port()
}

type tokenExpiry struct {
	expire uint64
	key    tokenKey
}

func newTokenHistory(limit int) tokenHistory {
	return tokenHistory{uses: make(map[tokenKey]tokenUse), limit: limit}
}

func (h *tokenHistory) len() int { return len(h.uses) }

func (h *tokenHistory) lookup(k tokenKey) (tokenUse, bool) {
	u, ok := h.uses[k]
	return u, ok
}

// full reports whether the history is full of unexpired tokens, first
// forgetting the expired ones if it is at its limit.
func (h *tokenHistory) full(nowUnix uint64) bool {
	if len(h.uses) >= h.limit {
		h.forget(nowUnix)
	}
	return len(h.uses) >= h.limit
}

// add remembers a new token until it expires; the caller checked full.
func (h *tokenHistory) add(k tokenKey, u tokenUse, expire uint64) {
	h.uses[k] = u
	if expire != NeverExpires {
		h.push(tokenExpiry{expire, k})
	}
}

func (h *tokenHistory) consume(k tokenKey) {
	if u, ok := h.uses[k]; ok {
		u.state = tokenConsumed
		h.uses[k] = u
	}
}

// forget drops the tokens that have expired: the request check refuses
// them now (expire <= now), so they need no memory.
func (h *tokenHistory) forget(nowUnix uint64) {
	for len(h.expiry) > 0 && h.expiry[0].expire <= nowUnix {
		delete(h.uses, h.expiry[0].key)
		h.pop()
	}
}

func (h *tokenHistory) push(e tokenExpiry) {
	h.expiry = append(h.expiry, e)
	q := h.expiry
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if q[parent].expire <= q[i].expire {
			break
		}
		q[parent], q[i] = q[i], q[parent]
		i = parent
	}
}

func (h *tokenHistory) pop() {
	q := h.expiry
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].expire < q[small].expire {
			small = l
		}
		if r < len(q) && q[r].expire < q[small].expire {
			small = r
		}
		if small == i {
			break
		}
		q[i], q[small] = q[small], q[i]
		i = small
	}
	h.expiry = q
}

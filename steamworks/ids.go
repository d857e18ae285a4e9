package steamworks

import (
	"encoding/binary"
	"hash/fnv"
	"net/netip"
)

// addrFromC reads a SteamNetworkingIPAddr (IPv4 as ::ffff:a.b.c.d, port in
// host order). An all-zero address is Steam's "unknown" (a relayed P2P
// peer) and gives the invalid AddrPort.
func addrFromC(ip *[16]byte, port uint16) netip.AddrPort {
	if *ip == ([16]byte{}) && port == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(netip.AddrFrom16(*ip).Unmap(), port)
}

// addrToC writes an address the way SteamNetworkingIPAddr holds it.
func addrToC(a netip.AddrPort) ([16]byte, uint16) {
	return a.Addr().As16(), a.Port()
}

// peerID is the client id of a connecting peer: its SteamID64 when it has
// one (every Steamworks peer, P2P or IP). A peer without one — an IP peer
// of GameNetworkingSockets, whose identity is its address — gets an id
// derived from its address, stable for as long as it connects from the
// same address and port:
//
//   - IPv4: the address in bits 16..47 and the port in bits 0..15;
//   - IPv6: bit 55 set and a 55-bit FNV-1a hash of address and port
//     below it.
//
// Both leave the top byte 0. A real SteamID64 has its universe (1..4) in
// the top byte, so a derived id never equals a SteamID.
func peerID(st *status) (uint64, bool) {
	if st.identityType == identitySteamID && st.steamID != 0 {
		return st.steamID, true
	}
	if !st.addr.IsValid() {
		return 0, false
	}
	return addrID(st.addr), true
}

const identitySteamID = 16

func addrID(a netip.AddrPort) uint64 {
	ip := a.Addr().Unmap()
	if ip.Is4() {
		b := ip.As4()
		return uint64(binary.BigEndian.Uint32(b[:]))<<16 | uint64(a.Port())
	}
	h := fnv.New64a()
	b := ip.As16()
	h.Write(b[:])
	h.Write([]byte{byte(a.Port() >> 8), byte(a.Port())})
	return h.Sum64()&(1<<55-1) | 1<<55
}

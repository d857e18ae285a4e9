package netcode

import "net/netip"

// connFrom finds the client connected from addr through any socket.
func (s *Server) connFrom(addr netip.AddrPort) *conn {
	for k, c := range s.byAddr {
		if k.addr == addr {
			return c
		}
	}
	return nil
}

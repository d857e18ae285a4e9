package netcode

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

const (
	addressIPv4     = 1
	addressIPv6     = 2
	addressIPv4Size = 1 + 4 + 2
	addressIPv6Size = 1 + 16 + 2
)

// appendAddress writes an address as the standard does: IPv4 as its four
// bytes, IPv6 as eight little-endian group values (not network byte order),
// then the port, little-endian.
func appendAddress(b []byte, a netip.AddrPort) []byte {
	ip := a.Addr().Unmap()
	if ip.Is4() {
		v4 := ip.As4()
		b = append(b, addressIPv4)
		b = append(b, v4[:]...)
	} else {
		v6 := ip.As16()
		b = append(b, addressIPv6)
		for i := 0; i < 16; i += 2 {
			group := uint16(v6[i])<<8 | uint16(v6[i+1])
			b = binary.LittleEndian.AppendUint16(b, group)
		}
	}
	return binary.LittleEndian.AppendUint16(b, a.Port())
}

// readAddress decodes one address from the front of b and returns the rest.
func readAddress(b []byte) (netip.AddrPort, []byte, error) {
	if len(b) < 1 {
		return netip.AddrPort{}, nil, fmt.Errorf("%w: truncated", ErrInvalidAddress)
	}
	switch b[0] {
	case addressIPv4:
		if len(b) < addressIPv4Size {
			return netip.AddrPort{}, nil, fmt.Errorf("%w: truncated IPv4", ErrInvalidAddress)
		}
		ip := netip.AddrFrom4([4]byte(b[1:5]))
		return netip.AddrPortFrom(ip, binary.LittleEndian.Uint16(b[5:7])), b[addressIPv4Size:], nil
	case addressIPv6:
		if len(b) < addressIPv6Size {
			return netip.AddrPort{}, nil, fmt.Errorf("%w: truncated IPv6", ErrInvalidAddress)
		}
		var v6 [16]byte
		for i := 0; i < 16; i += 2 {
			group := binary.LittleEndian.Uint16(b[1+i:])
			v6[i], v6[i+1] = byte(group>>8), byte(group)
		}
		ip := netip.AddrFrom16(v6)
		return netip.AddrPortFrom(ip, binary.LittleEndian.Uint16(b[17:19])), b[addressIPv6Size:], nil
	}
	return netip.AddrPort{}, nil, fmt.Errorf("%w: type %d", ErrInvalidAddress, b[0])
}

// appendAddressList writes num_addresses u32 followed by the addresses.
func appendAddressList(b []byte, addrs []netip.AddrPort) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(addrs)))
	for _, a := range addrs {
		b = appendAddress(b, a)
	}
	return b
}

// readAddressList decodes num_addresses and the addresses, appending them
// to dst, and returns the rest of b.
func readAddressList(dst []netip.AddrPort, b []byte) ([]netip.AddrPort, []byte, error) {
	if len(b) < 4 {
		return dst, nil, fmt.Errorf("%w: truncated address count", ErrInvalidToken)
	}
	n := binary.LittleEndian.Uint32(b)
	if n < 1 || n > MaxServerAddresses {
		return dst, nil, fmt.Errorf("%w: %d server addresses (want 1..%d)", ErrInvalidToken, n, MaxServerAddresses)
	}
	b = b[4:]
	for i := uint32(0); i < n; i++ {
		a, rest, err := readAddress(b)
		if err != nil {
			return dst, nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
		}
		dst = append(dst, a)
		b = rest
	}
	return dst, b, nil
}

func checkAddressList(addrs []netip.AddrPort, what string) error {
	if len(addrs) < 1 || len(addrs) > MaxServerAddresses {
		return fmt.Errorf("%w: %d %s addresses (want 1..%d)", ErrInvalidToken, len(addrs), what, MaxServerAddresses)
	}
	for _, a := range addrs {
		if !a.IsValid() {
			return fmt.Errorf("%w: %s address %v", ErrInvalidAddress, what, a)
		}
	}
	return nil
}

// sameAddr compares addresses, treating an IPv4-mapped IPv6 address as the
// IPv4 address it maps.
func sameAddr(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap() == b.Addr().Unmap()
}

package steamworks

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPeerID(t *testing.T) {
	steam := status{identityType: identitySteamID, steamID: 76561198000000001, addr: netip.MustParseAddrPort("10.0.0.1:5")}
	id, ok := peerID(&steam)
	require.True(t, ok)
	require.Equal(t, uint64(76561198000000001), id, "the SteamID wins over the address")

	v4 := status{identityType: 1, addr: netip.MustParseAddrPort("10.0.0.1:27015")}
	id, ok = peerID(&v4)
	require.True(t, ok)
	require.Equal(t, uint64(0x0a000001)<<16|27015, id)

	v6 := status{identityType: 1, addr: netip.MustParseAddrPort("[2001:db8::1]:27015")}
	id6, ok := peerID(&v6)
	require.True(t, ok)
	require.Equal(t, uint64(1), id6>>55, "bit 55 set, top byte zero")
	again, _ := peerID(&v6)
	require.Equal(t, id6, again, "stable")
	other := status{identityType: 1, addr: netip.MustParseAddrPort("[2001:db8::1]:27016")}
	id7, _ := peerID(&other)
	require.NotEqual(t, id6, id7)

	_, ok = peerID(&status{})
	require.False(t, ok, "no SteamID and no address")
}

func TestAddrConversion(t *testing.T) {
	for _, s := range []string{"127.0.0.1:1", "[::1]:27015", "[2001:db8::5]:9"} {
		a := netip.MustParseAddrPort(s)
		ip, port := addrToC(a)
		require.Equal(t, a, addrFromC(&ip, port))
	}
	ip, _ := addrToC(netip.MustParseAddrPort("1.2.3.4:5"))
	require.Equal(t, [16]byte{10: 0xff, 11: 0xff, 12: 1, 13: 2, 14: 3, 15: 4}, ip, "IPv4 as ::ffff:a.b.c.d")
	require.False(t, addrFromC(&[16]byte{}, 0).IsValid(), "all zero is unknown")
}

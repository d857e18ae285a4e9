package steamworks

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSymbolTable(t *testing.T) {
	seen := map[int]bool{}
	for _, s := range symbols {
		require.False(t, seen[int(s.slot)], "slot %d twice", s.slot)
		seen[int(s.slot)] = true
		require.True(t, s.steamworks != "" || s.gns != "", "slot %d unnamed", s.slot)
	}
	require.Len(t, seen, int(slotCount()), "every slot of the C table is named")
	// The flat API proper has one name in both libraries.
	for _, s := range symbols {
		if s.steamworks != "" && s.gns != "" && s.slot != slotSockets() && s.slot != slotUtils() {
			require.Equal(t, s.steamworks, s.gns)
		}
	}
	require.Contains(t, Symbols(FlavourSteamworks), "SteamAPI_ISteamNetworkingSockets_SendMessageToConnection")
	require.NotContains(t, Symbols(FlavourSteamworks), "SteamAPI_ISteamNetworkingSockets_SendMessages", "SendMessages differs between the libraries")
	require.Contains(t, Symbols(FlavourGNS), "SteamNetworkingSockets_LibV12")
	require.NotContains(t, Symbols(FlavourSteamworks), "SteamAPI_RestartAppIfNecessary")
}

// Each build of the double exports every symbol of its flavour; the GNS
// build lacks Steamworks' and the error names the first missing one.
func TestDoubleExportsEverySymbol(t *testing.T) {
	require.NoError(t, CheckSymbols(fakeSteam.Path, FlavourSteamworks))
	require.NoError(t, CheckSymbols(fakeGNS.Path, FlavourGNS))
	err := CheckSymbols(fakeGNS.Path, FlavourSteamworks)
	require.ErrorIs(t, err, ErrMissingSymbol)
	require.ErrorContains(t, err, "SteamAPI_InitFlat")
}

func TestSearchOrder(t *testing.T) {
	t.Setenv(EnvLibrary, "/env/lib.so")
	exe, _ := os.Executable()
	dir := filepath.Dir(exe)
	// A named file is the only one tried.
	require.Equal(t, []candidate{{"/explicit.so", FlavourAuto}}, candidates(&LibraryOptions{Path: "/explicit.so"}))
	require.Equal(t, []candidate{
		{"/env/lib.so", FlavourAuto},
		{"libsteam_api.so", FlavourSteamworks},
		{filepath.Join(dir, "libsteam_api.so"), FlavourSteamworks},
		{"libGameNetworkingSockets.so", FlavourGNS},
		{filepath.Join(dir, "libGameNetworkingSockets.so"), FlavourGNS},
	}, candidates(&LibraryOptions{}))
	require.Equal(t, []candidate{
		{"/env/lib.so", FlavourGNS},
		{"libGameNetworkingSockets.so", FlavourGNS},
		{filepath.Join(dir, "libGameNetworkingSockets.so"), FlavourGNS},
	}, candidates(&LibraryOptions{Flavour: FlavourGNS}))
}

func TestOpenUnavailable(t *testing.T) {
	t.Setenv(EnvLibrary, "/nonexistent/env/libsteam_api.so")
	// Attach: should a Steam library be installed on this machine after
	// all, nothing gets initialised.
	_, err := Open(LibraryOptions{Path: "/nonexistent/explicit.so", Init: AttachClient})
	require.ErrorIs(t, err, ErrUnavailable)
	require.ErrorContains(t, err, "/nonexistent/explicit.so")
	require.NotContains(t, err.Error(), "/nonexistent/env", "a named file is the only one tried")

	_, err = Open(LibraryOptions{Init: AttachClient})
	if !errors.Is(err, ErrUnavailable) {
		t.Skipf("a Steam library is installed here: %v", err)
	}
	exe, _ := os.Executable()
	for _, p := range []string{
		"/nonexistent/env/libsteam_api.so",
		"libsteam_api.so (",
		filepath.Join(filepath.Dir(exe), "libsteam_api.so"),
		"libGameNetworkingSockets.so (",
		filepath.Join(filepath.Dir(exe), "libGameNetworkingSockets.so"),
	} {
		require.ErrorContains(t, err, p)
	}

	// One flavour: only its names are tried.
	t.Setenv(EnvLibrary, "")
	_, err = Open(LibraryOptions{Flavour: FlavourGNS, Init: AttachClient})
	if !errors.Is(err, ErrUnavailable) {
		t.Skipf("GameNetworkingSockets is installed here: %v", err)
	}
	require.NotContains(t, err.Error(), "libsteam_api.so")
}

func TestOpenFromEnvironment(t *testing.T) {
	fakeSteam.Reset()
	t.Setenv(EnvLibrary, fakeSteam.Path)
	lib, err := Open(LibraryOptions{})
	require.NoError(t, err)
	defer lib.Close()
	require.Equal(t, fakeSteam.Path, lib.Path())
	require.Equal(t, FlavourSteamworks, lib.Flavour())
}

func TestOpenDetectsFlavour(t *testing.T) {
	lib := openFake(t, fakeGNS, LibraryOptions{})
	require.Equal(t, FlavourGNS, lib.Flavour())
	require.Equal(t, 1, fakeGNS.Counter("gns_init"))
}

func TestOpenMissingSymbol(t *testing.T) {
	fakeGNS.Reset()
	_, err := Open(LibraryOptions{Path: fakeGNS.Path, Flavour: FlavourSteamworks})
	require.ErrorIs(t, err, ErrMissingSymbol)
	require.ErrorContains(t, err, "SteamAPI_InitFlat")
	require.ErrorContains(t, err, fakeGNS.Path)
	require.Zero(t, fakeGNS.Counter("gns_init"), "nothing is called before every symbol resolves")
}

func TestOpenOnlyOne(t *testing.T) {
	lib := openFake(t, fakeSteam, LibraryOptions{})
	_, err := Open(LibraryOptions{Path: fakeSteam.Path})
	require.ErrorIs(t, err, ErrAlreadyOpen)
	require.NoError(t, lib.Close())
	require.NoError(t, lib.Close(), "Close twice")
	lib2, err := Open(LibraryOptions{Path: fakeSteam.Path})
	require.NoError(t, err, "a closed library frees the slot")
	require.NoError(t, lib2.Close())
}

func TestOpenBadOptions(t *testing.T) {
	for _, o := range []LibraryOptions{
		{Flavour: 9}, {Init: 9}, {TimeoutInitial: -1},
		{Init: InitGameServer, GameServer: GameServerOptions{IP: mustAddr("[::1]:1").Addr()}},
	} {
		_, err := Open(o)
		require.True(t, errors.Is(err, ErrInvalidConfig), "%+v: %v", o, err)
	}
}

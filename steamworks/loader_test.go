package steamworks

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
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
	steam, gns := libraryName(FlavourSteamworks), libraryName(FlavourGNS)
	require.Equal(t, []candidate{
		{"/env/lib.so", FlavourAuto},
		{steam, FlavourSteamworks},
		{filepath.Join(dir, steam), FlavourSteamworks},
		{gns, FlavourGNS},
		{filepath.Join(dir, gns), FlavourGNS},
	}, candidates(&LibraryOptions{}))
	require.Equal(t, []candidate{
		{"/env/lib.so", FlavourGNS},
		{gns, FlavourGNS},
		{filepath.Join(dir, gns), FlavourGNS},
	}, candidates(&LibraryOptions{Flavour: FlavourGNS}))
}

// Valve's file names, per system.
func TestLibraryNames(t *testing.T) {
	want := map[string][2]string{
		"linux":   {"libsteam_api.so", "libGameNetworkingSockets.so"},
		"darwin":  {"libsteam_api.dylib", "libGameNetworkingSockets.dylib"},
		"windows": {"steam_api64.dll", "GameNetworkingSockets.dll"},
	}[runtime.GOOS]
	if want[0] == "" {
		t.Skipf("no names to check on %s", runtime.GOOS)
	}
	if runtime.GOOS == "windows" && runtime.GOARCH == "386" {
		want[0] = "steam_api.dll"
	}
	require.Equal(t, want[0], libraryName(FlavourSteamworks))
	require.Equal(t, want[1], libraryName(FlavourGNS))
}

// A path in any script loads: UTF-8 in, and on Windows UTF-16 to
// LoadLibraryW, whatever the ANSI code page.
func TestOpenNonASCIIPath(t *testing.T) {
	b, err := os.ReadFile(fakeSteam.Path)
	require.NoError(t, err)
	dir := filepath.Join(scratchDir(t), "Spiele – ゲーム – Игры")
	require.NoError(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "stéam_ápi"+filepath.Ext(fakeSteam.Path))
	require.NoError(t, os.WriteFile(path, b, 0o755))
	// The copy is a second library with its own state: check the symbols
	// only, without initialising it.
	require.NoError(t, CheckSymbols(path, FlavourSteamworks))
	// Forward slashes, as Unity writes paths, load too (on Windows the
	// loader turns them into the backslashes LoadLibraryExW needs).
	require.NoError(t, CheckSymbols(filepath.ToSlash(path), FlavourSteamworks))
}

// The loader's error carries the system's own message.
func TestOpenErrorText(t *testing.T) {
	missing := filepath.Join(scratchDir(t), "missing", libraryName(FlavourSteamworks))
	_, err := Open(LibraryOptions{Path: missing, Init: AttachClient})
	require.ErrorIs(t, err, ErrUnavailable)
	require.ErrorContains(t, err, missing)
	if runtime.GOOS == "windows" {
		// ERROR_MOD_NOT_FOUND, as FormatMessage words it.
		require.ErrorContains(t, err, "LoadLibrary failed: ")
		require.Regexp(t, `\(error 126\)`, err.Error())
	}
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
	steam, gns := libraryName(FlavourSteamworks), libraryName(FlavourGNS)
	for _, p := range []string{
		"/nonexistent/env/libsteam_api.so",
		steam + " (",
		filepath.Join(filepath.Dir(exe), steam),
		gns + " (",
		filepath.Join(filepath.Dir(exe), gns),
	} {
		require.ErrorContains(t, err, p)
	}

	// One flavour: only its names are tried.
	t.Setenv(EnvLibrary, "")
	_, err = Open(LibraryOptions{Flavour: FlavourGNS, Init: AttachClient})
	if !errors.Is(err, ErrUnavailable) {
		t.Skipf("GameNetworkingSockets is installed here: %v", err)
	}
	require.NotContains(t, err.Error(), steam)
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

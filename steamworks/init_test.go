package steamworks

import (
	"os"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/steamworks/internal/fakesteam"
	"github.com/stretchr/testify/require"
)

func TestInitClient(t *testing.T) {
	t.Setenv("SteamAppId", "")
	t.Setenv("SteamGameId", "")
	lib := openFake(t, fakeSteam, LibraryOptions{
		Init: InitClient, AppID: 480, AllowIPWithoutAuth: true,
		TimeoutInitial: 3 * time.Second, TimeoutConnected: 7 * time.Second, DebugOutputLevel: 4,
		SendRateMin: 100_000, SendRateMax: 900_000, SendBufferSize: 2 << 20,
	})
	require.Equal(t, InitClient, lib.Mode())
	require.Equal(t, "480", os.Getenv("SteamAppId"))
	require.Equal(t, 1, fakeSteam.Counter("init"))
	require.Zero(t, fakeSteam.Counter("gs_init"))
	require.True(t, fakeSteam.HasCallback())
	require.Equal(t, 1, fakeSteam.Counter("init_authentication"))
	require.Equal(t, 2, fakeSteam.Config(configIPAllowWithoutAuth))
	require.Equal(t, 3000, fakeSteam.Config(configTimeoutInitial))
	require.Equal(t, 7000, fakeSteam.Config(configTimeoutConnected))
	require.Equal(t, 4, fakeSteam.Counter("debug_level"))
	require.Equal(t, 100_000, fakeSteam.Config(configSendRateMin))
	require.Equal(t, 900_000, fakeSteam.Config(configSendRateMax))
	require.Equal(t, 2<<20, fakeSteam.Config(configSendBufferSize))

	// The library initialised Steam, so its updates pump the Steam API's
	// callbacks too.
	r := newRigOn(t, fakeSteam, lib, ServerConfig{})
	r.tick()
	require.Positive(t, fakeSteam.Counter("api_run_callbacks"))
	require.Positive(t, fakeSteam.Counter("run_callbacks"))
	require.Zero(t, fakeSteam.Counter("init_relay"), "IP only: no relay access asked for")

	require.NoError(t, lib.Close())
	require.Equal(t, 1, fakeSteam.Counter("shutdown"))
	require.False(t, fakeSteam.HasCallback(), "Close removes the callback")
	require.False(t, r.s.Running(), "Close stops the servers")
}

func TestInitGameServer(t *testing.T) {
	lib := openFake(t, fakeSteam, LibraryOptions{
		Init:       InitGameServer,
		GameServer: GameServerOptions{IP: mustAddr("10.1.2.3:0").Addr(), GamePort: 27015, QueryPort: 27016},
	})
	args := fakeSteam.GameServerArgs()
	require.Equal(t, uint32(0x0a010203), args.IP, "host byte order")
	require.Equal(t, uint16(27015), args.GamePort)
	require.Equal(t, uint16(27016), args.QueryPort)
	require.Equal(t, 1, args.Mode, "eServerModeNoAuthentication")
	require.Equal(t, "1.0.0.0", args.Version)
	require.Equal(t, 2, fakeSteam.Counter("gs_versions_ok"), "both interface versions listed")
	require.Zero(t, fakeSteam.Counter("init"))

	r := newRigOn(t, fakeSteam, lib, ServerConfig{})
	r.tick()
	require.Positive(t, fakeSteam.Counter("gs_iface_calls"), "the game server's sockets interface is used")
	require.Positive(t, fakeSteam.Counter("gs_run_callbacks"))
	require.Zero(t, fakeSteam.Counter("api_run_callbacks"))

	require.NoError(t, lib.Close())
	require.Equal(t, 1, fakeSteam.Counter("gs_shutdown"))
	require.Zero(t, fakeSteam.Counter("shutdown"))
}

func TestInitFailureCarriesSteamMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		fake *fakesteam.Fake
		mode InitMode
		call string
		code int
	}{
		{"client", fakeSteam, InitClient, "SteamAPI_InitFlat", 2},
		{"game server", fakeSteam, InitGameServer, "SteamInternal_GameServer_Init_V2", 1},
		{"gns", fakeGNS, InitClient, "GameNetworkingSockets_Init", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fake.Reset()
			tc.fake.FailInit("Steam client not running (fake)", tc.code)
			_, err := Open(LibraryOptions{Path: tc.fake.Path, Init: tc.mode})
			require.ErrorIs(t, err, ErrInitFailed)
			var ie *InitError
			require.ErrorAs(t, err, &ie)
			require.Equal(t, tc.call, ie.Call)
			require.Equal(t, tc.code, ie.Result)
			require.Equal(t, "Steam client not running (fake)", ie.Message)
			require.ErrorContains(t, err, "Steam client not running (fake)")
			// Nothing was initialised, so nothing is shut down.
			require.Zero(t, tc.fake.Counter("shutdown")+tc.fake.Counter("gs_shutdown")+tc.fake.Counter("gns_kill"))

			tc.fake.FailInit("", 0)
			lib, err := Open(LibraryOptions{Path: tc.fake.Path, Init: tc.mode})
			require.NoError(t, err, "a failed Open leaves the slot free")
			require.NoError(t, lib.Close())
		})
	}
}

// Initialising a Steam the host already initialised is refused before
// Steam's own init (which would succeed and hand the host's instance to
// our Close): the error names the attach modes, and the host's Steam
// keeps running.
func TestInitRefusedWhenAlreadyInitialised(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fake    *fakesteam.Fake
		mode    InitMode
		preinit int
	}{
		{"client", fakeSteam, InitClient, 1},
		{"game server", fakeSteam, InitGameServer, 2},
		{"gns", fakeGNS, InitClient, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fake.Reset()
			tc.fake.Preinit(tc.preinit)
			_, err := Open(LibraryOptions{Path: tc.fake.Path, Init: tc.mode})
			require.ErrorIs(t, err, ErrInitFailed)
			require.ErrorContains(t, err, "already initialised")
			require.ErrorContains(t, err, "AttachClient")
			for _, n := range []string{"init", "shutdown", "gs_init", "gs_shutdown", "gns_init", "gns_kill"} {
				require.Zero(t, tc.fake.Counter(n), n)
			}
			// The host's instance still serves an attach.
			attach := AttachClient
			if tc.preinit == 2 {
				attach = AttachGameServer
			}
			lib, err := Open(LibraryOptions{Path: tc.fake.Path, Init: attach})
			require.NoError(t, err)
			require.NoError(t, lib.Close())
		})
	}
}

// Attaching uses a Steam the host process initialised: no init, no
// shutdown, and the host's Steam still works after Close.
func TestAttach(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fake    *fakesteam.Fake
		mode    InitMode
		preinit int
	}{
		{"client", fakeSteam, AttachClient, 1},
		{"game server", fakeSteam, AttachGameServer, 2},
		{"gns", fakeGNS, AttachClient, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fake.Reset()
			_, err := Open(LibraryOptions{Path: tc.fake.Path, Init: tc.mode})
			require.ErrorIs(t, err, ErrNotInitialised, "nothing to attach to yet")

			tc.fake.Reset()
			tc.fake.Preinit(tc.preinit)
			lib, err := Open(LibraryOptions{Path: tc.fake.Path, Init: tc.mode})
			require.NoError(t, err)
			r := newRigOn(t, tc.fake, lib, ServerConfig{})
			c := r.connect(76561198000000001)
			require.NoError(t, c.Send([]byte("attached")))
			r.until("payload", func() bool { return len(r.take()) > 0 })
			require.Zero(t, r.fake.Counter("api_run_callbacks")+r.fake.Counter("gs_run_callbacks"),
				"the host pumps its own Steam API callbacks")
			if tc.mode == AttachGameServer {
				require.Positive(t, tc.fake.Counter("gs_iface_calls"))
			}
			require.NoError(t, lib.Close())
			for _, n := range []string{"init", "shutdown", "gs_init", "gs_shutdown", "gns_init", "gns_kill"} {
				require.Zero(t, tc.fake.Counter(n), n)
			}
			require.Zero(t, tc.fake.Handles())
			require.Zero(t, tc.fake.LiveMessages())

			// Still initialised: attaching again works.
			lib, err = Open(LibraryOptions{Path: tc.fake.Path, Init: tc.mode})
			require.NoError(t, err)
			require.NoError(t, lib.Close())
		})
	}
}

func TestLibraryCloseStopsEverything(t *testing.T) {
	r := newRig(t, fakeSteam, ServerConfig{})
	c := r.connect(76561198000000001)
	idle, err := NewClient(r.lib, ClientConfig{Address: mustAddr("127.0.0.1:1")})
	require.NoError(t, err)
	require.NoError(t, r.lib.Close())
	require.False(t, r.s.Running())
	require.ErrorIs(t, c.Update(time.Millisecond), core.ErrClosed)
	require.ErrorIs(t, idle.Connect(), core.ErrClosed)
	require.ErrorIs(t, r.s.Start(), core.ErrClosed)
	require.Zero(t, fakeSteam.Handles())
}

package steamworks

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Tests against Valve's real libsteam_api.so, when it is on this machine:
// $LIGHTYEAR_STEAM_API_PATH, or the cache testdata/fetch-steam-api.sh
// fills. Each case runs in a subprocess with a timeout, because Valve's
// code prints, may look for a Steam client, and must never take the test
// run down with it. Nothing here calls SteamAPI_RestartAppIfNecessary
// (the backend never does).

// childEnv tells a subprocess of this test binary which case to run.
const childEnv = "LIGHTYEAR_STEAM_CHILD"

func realSteamAPIPath(t *testing.T) string {
	p := os.Getenv("LIGHTYEAR_STEAM_API_PATH")
	if p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("LIGHTYEAR_STEAM_API_PATH: %v", err)
		}
	} else {
		cache := os.Getenv("LIGHTYEAR_STEAM_CACHE")
		if cache == "" {
			if dir, err := os.UserCacheDir(); err == nil {
				cache = filepath.Join(dir, "lightyear_conn", "steam")
			}
		}
		name := libraryName(FlavourSteamworks)
		p = filepath.Join(cache, name)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("Valve's %s not found: set LIGHTYEAR_STEAM_API_PATH or run steamworks/testdata/fetch-steam-api.sh", name)
		}
	}
	if runtime.GOOS == "windows" {
		return p
	}
	// fetch-steam-api.sh fetches Valve's linux64 (x86_64) build only: a
	// test binary of another architecture (linux/arm64 under qemu) cannot
	// load it.
	f, err := elf.Open(p)
	if err != nil {
		t.Fatalf("Valve's library %s: %v", p, err)
	}
	defer f.Close()
	if want, ok := elfMachine[runtime.GOARCH]; ok && f.Machine != want {
		t.Skipf("Valve's library %s is for %v, this test binary is %s: no Valve library for this architecture here",
			p, f.Machine, runtime.GOARCH)
	}
	return p
}

var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "386": elf.EM_386, "arm": elf.EM_ARM}

func TestRealLibrary(t *testing.T) {
	path := realSteamAPIPath(t)
	t.Logf("Valve's library: %s", path)
	for _, name := range []string{"symbols", "init-client", "init-game-server", "attach"} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRealLibraryChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(),
				childEnv+"="+name,
				"LIGHTYEAR_STEAM_API_PATH="+path,
				EnvLibrary+"=",
				"HOME="+scratchDir(t), // no ~/.steam of the user's: Steam is "not installed"
			)
			cmd.WaitDelay = 5 * time.Second
			start := time.Now()
			out, err := cmd.CombinedOutput()
			t.Logf("subprocess (%v):\n%s", time.Since(start).Round(time.Millisecond), out)
			require.NoError(t, ctx.Err(), "the subprocess hung")
			require.NoError(t, err, "the subprocess failed or crashed")
			require.Contains(t, string(out), "--- PASS: TestRealLibraryChild")
		})
	}
}

// TestRealLibraryChild is one case of TestRealLibrary, in a subprocess.
func TestRealLibraryChild(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		t.Skip("run by TestRealLibrary in a subprocess")
	}
	path := os.Getenv("LIGHTYEAR_STEAM_API_PATH")
	switch name {
	case "symbols":
		// Every symbol of the table, resolved by the loader itself.
		require.NoError(t, CheckSymbols(path, FlavourSteamworks))
		t.Logf("all %d Steamworks symbols present", len(Symbols(FlavourSteamworks)))

	case "init-client", "init-game-server":
		opts := LibraryOptions{Path: path, Flavour: FlavourSteamworks, Init: InitClient, AppID: 480}
		if name == "init-game-server" {
			opts.Init = InitGameServer
			opts.GameServer = GameServerOptions{GamePort: 27015, QueryPort: 27016}
		}
		start := time.Now()
		lib, err := Open(opts)
		took := time.Since(start)
		if err == nil {
			lib.Close()
			t.Fatalf("Steam initialised with no Steam client running?")
		}
		t.Logf("Open failed in %v: %v", took, err)
		require.ErrorIs(t, err, ErrInitFailed)
		var ie *InitError
		require.True(t, errors.As(err, &ie))
		require.NotEmpty(t, ie.Message, "Steam's own message is carried")
		require.Less(t, took, 10*time.Second)
		// The slot is free again and the process is fine.
		_, err = Open(LibraryOptions{Path: path, Flavour: FlavourSteamworks, Init: AttachClient})
		require.ErrorIs(t, err, ErrNotInitialised)

	case "attach":
		// Nothing initialised Steam: the interface getters return NULL.
		_, err := Open(LibraryOptions{Path: path, Init: AttachClient})
		require.ErrorIs(t, err, ErrNotInitialised)
		t.Logf("attach: %v", err)

	default:
		t.Fatalf("unknown case %q", name)
	}
}

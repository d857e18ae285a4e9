package steamworks

import (
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/steamworks/internal/fakesteam"
	"github.com/stretchr/testify/require"
)

// The two builds of the test double, made once for the package.
var fakeSteam, fakeGNS *fakesteam.Fake

// testDir is the package's scratch directory, removed after the tests.
var testDir string

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" { // a subprocess of TestRealLibrary
		os.Exit(m.Run())
	}
	sweepStale()
	dir, err := os.MkdirTemp("", "fakesteam")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	code := func() int {
		defer removeTree(dir)
		for _, b := range []struct {
			fake **fakesteam.Fake
			sub  string
			gns  bool
		}{{&fakeSteam, "steam", false}, {&fakeGNS, "gns", true}} {
			if err := os.Mkdir(dir+"/"+b.sub, 0o755); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			path, err := fakesteam.Build("testdata/fakesteam/fakesteam.c", dir+"/"+b.sub, b.gns)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if *b.fake, err = fakesteam.Open(path); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// removeTree is os.RemoveAll, one os.Remove at a time: under wine 8.0 Go's
// RemoveAll fails ("unlinkat: Invalid function", its
// FileDispositionInformationEx is not implemented) where os.Remove works.
// A library still loaded stays, as Windows keeps it.
func removeTree(dir string) {
	var paths []string
	_ = filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		paths = append(paths, path)
		return nil
	})
	for i := len(paths) - 1; i >= 0; i-- {
		_ = os.Remove(paths[i])
	}
}

// sweepStale removes what earlier runs could not: on Windows a library
// still loaded when the process ended (TestOpenNonASCIIPath's copy) stays
// in its temporary directory. Only directories older than an hour go, so a
// run going on beside this one keeps its own.
func sweepStale() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), "fakesteam*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > time.Hour {
			removeTree(dir)
		}
	}
}

// scratchDir is a new directory under testDir for one test.
func scratchDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(testDir, "test")
	require.NoError(t, err)
	return dir
}

// openFake resets a double and opens the backend on it. On cleanup the
// library is closed and the double must hold no live message, no open
// handle, and have seen no call on a wrong interface pointer.
func openFake(t *testing.T, fake *fakesteam.Fake, opts LibraryOptions) *Library {
	t.Helper()
	fake.Reset()
	opts.Path = fake.Path
	lib, err := Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, lib.Close())
		require.Zero(t, fake.LiveMessages(), "messages not released")
		require.Zero(t, fake.Handles(), "connections, listen sockets or poll groups not freed")
		require.Zero(t, fake.Counter("bad_self"), "calls on a wrong interface pointer")
		require.Zero(t, fake.Counter("options"), "config options passed to socket calls")
	})
	return lib
}

// rig drives one server and its clients over a double.
type rig struct {
	t       *testing.T
	fake    *fakesteam.Fake
	lib     *Library
	s       *Server
	clients []*Client
	events  []core.Event
	port    uint16
}

var nextPort uint16 = 27015

func newRig(t *testing.T, fake *fakesteam.Fake, scfg ServerConfig) *rig {
	lib := openFake(t, fake, LibraryOptions{})
	return newRigOn(t, fake, lib, scfg)
}

func newRigOn(t *testing.T, fake *fakesteam.Fake, lib *Library, scfg ServerConfig) *rig {
	r := &rig{t: t, fake: fake, lib: lib}
	if scfg.Mode == ModeIP && !scfg.Address.IsValid() {
		nextPort++
		r.port = nextPort
		scfg.Address = mustAddr(fmt.Sprintf("0.0.0.0:%d", r.port))
	}
	s, err := NewServer(lib, scfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	r.s = s
	return r
}

func mustAddr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// client makes a client of the rig's server presenting SteamID id (the
// Steamworks double), connecting.
func (r *rig) client(id uint64) *Client {
	r.t.Helper()
	c, err := NewClient(r.lib, ClientConfig{Address: mustAddr(fmt.Sprintf("127.0.0.1:%d", r.port))})
	require.NoError(r.t, err)
	r.fake.SetNextIdentity(id)
	require.NoError(r.t, c.Connect())
	r.clients = append(r.clients, c)
	return c
}

func (r *rig) tick() {
	r.t.Helper()
	for _, c := range r.clients {
		if c.closed {
			continue
		}
		require.NoError(r.t, c.Update(10*time.Millisecond))
	}
	if r.s.Running() {
		require.NoError(r.t, r.s.Update(10*time.Millisecond))
	}
	r.poll()
}

// poll collects the server's pending events.
func (r *rig) poll() {
	var ev core.Event
	for r.s.PollEvent(&ev) {
		if ev.Payload != nil {
			ev.Payload = append([]byte(nil), ev.Payload...)
		}
		r.events = append(r.events, ev)
	}
}

func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	for i := 0; i < 100; i++ {
		r.tick()
		if cond() {
			return
		}
	}
	r.t.Fatalf("%s: not reached after 100 updates", what)
}

func (r *rig) take() []core.Event {
	r.poll()
	e := r.events
	r.events = nil
	return e
}

// connect connects a client with SteamID id and waits for both sides.
func (r *rig) connect(id uint64) *Client {
	r.t.Helper()
	c := r.client(id)
	n := r.s.NumConnected()
	r.until("connected", func() bool { return c.State() == core.StateConnected && r.s.NumConnected() == n+1 })
	return c
}

// serverConn is the server's handle for a connected client.
func (r *rig) serverConn(id uint64) uint32 {
	p := r.s.byID[id]
	require.NotNil(r.t, p)
	return p.conn
}

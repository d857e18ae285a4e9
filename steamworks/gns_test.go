package steamworks

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

// Tests against the real open-source GameNetworkingSockets (GNS), built
// by testdata/build-gns.sh, over real UDP on 127.0.0.1. They are skipped
// when the library is not there. Each opens and closes its own Library:
// one may be open per process, and GNS's service thread runs between
// GameNetworkingSockets_Init and _Kill. None is parallel.

// gnsTimeout is TimeoutInitial and TimeoutConnected: short, so that the
// tests of a failed connect end quickly.
const gnsTimeout = 2 * time.Second

// gnsLibPath is $LIGHTYEAR_GNS_LIB, or build-gns.sh's default cache; the
// test skips without it, and where this test binary cannot load it.
func gnsLibPath(t *testing.T) string {
	t.Helper()
	const name = "libGameNetworkingSockets.so"
	// build-gns.sh builds for the machine it runs on: test binaries for
	// Windows (under wine) or another architecture (under qemu) skip.
	if runtime.GOOS != "linux" {
		t.Skipf("%s is a Linux library; this test binary is for %s", name, runtime.GOOS)
	}
	p := os.Getenv("LIGHTYEAR_GNS_LIB")
	if p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("LIGHTYEAR_GNS_LIB: %v", err)
		}
	} else {
		if dir, err := os.UserCacheDir(); err == nil {
			p = filepath.Join(dir, "lightyear_conn", "gns-0.3.0", "lib", name)
		}
		if _, err := os.Stat(p); p == "" || err != nil {
			t.Skipf("%s not found: set LIGHTYEAR_GNS_LIB or run steamworks/testdata/build-gns.sh", name)
		}
	}
	f, err := elf.Open(p)
	require.NoError(t, err, "GNS library %s", p)
	defer f.Close()
	if want, ok := elfMachine[runtime.GOARCH]; ok && f.Machine != want {
		t.Skipf("GNS library %s is for %v, this test binary is %s", p, f.Machine, runtime.GOARCH)
	}
	return p
}

// openGNS opens the backend on the real GNS; the library is closed on
// cleanup (again, if the test closed it already).
func openGNS(t *testing.T) *Library {
	t.Helper()
	lib, err := Open(gnsOptions(t))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, lib.Close()) })
	require.Equal(t, FlavourGNS, lib.Flavour())
	return lib
}

func gnsOptions(t *testing.T) LibraryOptions {
	return LibraryOptions{
		Flavour:            FlavourGNS,
		Path:               gnsLibPath(t),
		Init:               InitClient,
		AllowIPWithoutAuth: true,
		TimeoutInitial:     gnsTimeout,
		TimeoutConnected:   gnsTimeout,
	}
}

// freeUDPPort is a port nothing listens on at this moment (the kernel's
// choice, released at once).
func freeUDPPort(t *testing.T) uint16 {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	port := uint16(c.LocalAddr().(*net.UDPAddr).Port)
	require.NoError(t, c.Close())
	return port
}

func loopback(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)
}

// gnsRig is a server of ours on 127.0.0.1 and clients of ours, on GNS.
type gnsRig struct {
	t       *testing.T
	lib     *Library
	s       *Server
	port    uint16
	clients []*Client
	events  []core.Event
}

func newGNSRig(t *testing.T, lib *Library) *gnsRig {
	t.Helper()
	r := &gnsRig{t: t, lib: lib, port: freeUDPPort(t)}
	s, err := NewServer(lib, ServerConfig{Address: loopback(r.port)})
	require.NoError(t, err)
	require.NoError(t, s.Start())
	r.s = s
	return r
}

// client makes a client of ours and starts connecting.
func (r *gnsRig) client() *Client {
	r.t.Helper()
	c, err := NewClient(r.lib, ClientConfig{Address: loopback(r.port)})
	require.NoError(r.t, err)
	require.NoError(r.t, c.Connect())
	r.clients = append(r.clients, c)
	return c
}

// tick updates every live client and the server, and collects the
// server's events.
func (r *gnsRig) tick() {
	r.t.Helper()
	for _, c := range r.clients {
		if !c.closed {
			require.NoError(r.t, c.Update(time.Millisecond))
		}
	}
	if r.s.Running() {
		require.NoError(r.t, r.s.Update(time.Millisecond))
	}
	r.poll()
}

// poll collects the server's pending events.
func (r *gnsRig) poll() {
	var ev core.Event
	for r.s.PollEvent(&ev) {
		if ev.Payload != nil {
			ev.Payload = append([]byte(nil), ev.Payload...)
		}
		r.events = append(r.events, ev)
	}
}

// until ticks every millisecond or so until cond holds, for at most limit.
func (r *gnsRig) until(what string, limit time.Duration, cond func() bool) {
	r.t.Helper()
	gnsUntil(r.t, what, limit, r.tick, cond)
}

func gnsUntil(t *testing.T, what string, limit time.Duration, tick func(), cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		tick()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %v", what, limit)
		}
		time.Sleep(time.Millisecond)
	}
}

// connect connects a new client and waits for both sides; it returns the
// client and the id the server gave it (derived from its address: GNS IP
// peers have no SteamID).
func (r *gnsRig) connect() (*Client, core.ClientID) {
	r.t.Helper()
	c := r.client()
	n := r.s.NumConnected()
	r.until("connected", 5*time.Second, func() bool {
		return c.State() == core.StateConnected && r.s.NumConnected() == n+1
	})
	ids := r.s.ConnectedIDs(nil)
	id := ids[len(ids)-1]
	require.Equal(r.t, core.KindSteam, id.Kind)
	addr, ok := r.s.ClientAddr(id)
	require.True(r.t, ok)
	require.Equal(r.t, netip.AddrFrom4([4]byte{127, 0, 0, 1}), addr.Addr())
	require.Equal(r.t, addrID(addr), id.ID, "the id is derived from the client's address")
	return c, id
}

// pendingUnreliable is the bytes GNS holds queued on a connection.
func pendingUnreliable(t *testing.T, status func() (ConnectionStatus, error)) int {
	t.Helper()
	st, err := status()
	require.NoError(t, err)
	return st.PendingUnreliable
}

// take returns and forgets the server's events.
func (r *gnsRig) take() []core.Event {
	r.poll()
	e := r.events
	r.events = nil
	return e
}

// numbered is a payload of n ≥ 4 bytes carrying i and a pattern derived from
// it, so that a corrupted, reordered or mixed-up payload shows.
func numbered(i, n int, dir byte) []byte {
	p := make([]byte, n)
	binary.LittleEndian.PutUint32(p, uint32(i))
	for j := 4; j < n; j++ {
		p[j] = byte(i*7+j) ^ dir
	}
	return p
}

func TestGNSExchange(t *testing.T) {
	lib := openGNS(t)
	r := newGNSRig(t, lib)
	c, id := r.connect()
	require.Equal(t, []core.Event{{Type: core.EventConnected, Client: id}}, r.take())

	const count = 1000
	var up, down [][]byte
	for i := range count {
		up = append(up, numbered(i, 4+i%(core.MaxPayload-3), 'u'))
		down = append(down, numbered(i, 4+(i*37)%(core.MaxPayload-3), 'd'))
	}
	// GNS sends at its send rate (256 KiB/s by default) and queues the
	// rest, up to its send buffer (512 KiB): 1,000 payloads of 600 bytes
	// on average would fill it (ErrSendBufferFull), so they go in batches
	// of 50, each once both queues are under 64 KiB.
	var got [][]byte
	drain := func() {
		for p, ok := c.Receive(); ok; p, ok = c.Receive() {
			got = append(got, append([]byte(nil), p...))
		}
	}
	for b := 0; b < count; b += 50 {
		r.until("send queues drained", 5*time.Second, func() bool {
			drain()
			return pendingUnreliable(t, c.ConnectionStatus) < 64<<10 &&
				pendingUnreliable(t, func() (ConnectionStatus, error) { return r.s.ConnectionStatus(id) }) < 64<<10
		})
		for i := b; i < b+50; i++ {
			require.NoError(t, c.Send(up[i]))
			require.NoError(t, r.s.Send(id, down[i]))
		}
	}
	var gotUp [][]byte
	r.until("all payloads", 10*time.Second, func() bool {
		drain()
		for _, ev := range r.take() {
			require.Equal(t, core.EventPayload, ev.Type)
			require.Equal(t, id, ev.Client)
			gotUp = append(gotUp, ev.Payload)
		}
		return len(got) >= count && len(gotUp) >= count
	})
	require.Len(t, got, count)
	require.Len(t, gotUp, count)
	for i := range count {
		if !bytes.Equal(up[i], gotUp[i]) || !bytes.Equal(down[i], got[i]) {
			t.Fatalf("payload %d differs", i)
		}
	}
	st := r.s.Stats()
	require.Equal(t, uint64(count), st.PacketsSent)
	require.Equal(t, uint64(count), st.PacketsReceived)
	require.Zero(t, st.Dropped())
	require.Equal(t, uint64(count), c.Stats().PacketsReceived)
}

// Our client ends the connection: the server sees the peer go; the
// client's own end has no remote end reason.
func TestGNSClientDisconnects(t *testing.T) {
	lib := openGNS(t)
	r := newGNSRig(t, lib)
	c, id := r.connect()
	r.take()
	require.NoError(t, c.Disconnect())
	require.Equal(t, core.StateDisconnected, c.State())
	require.Equal(t, core.ReasonLocal, c.DisconnectReason())
	code, debug := c.EndReason()
	require.Zero(t, code)
	require.Empty(t, debug)
	r.until("server sees the disconnect", 5*time.Second, func() bool { return r.s.NumConnected() == 0 })
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: id, Reason: core.ReasonRemote}}, r.take())
	require.ErrorIs(t, r.s.Send(id, []byte("late")), core.ErrUnknownClient)
	require.ErrorIs(t, c.Send([]byte("late")), core.ErrNotConnected)
}

// Our server ends a connection: the client reads EndReasonDisconnect
// and the server's text, carried by GNS over UDP.
func TestGNSServerDisconnects(t *testing.T) {
	lib := openGNS(t)
	r := newGNSRig(t, lib)
	c, id := r.connect()
	r.take()
	require.NoError(t, r.s.Disconnect(id))
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: id, Reason: core.ReasonLocal}}, r.take())
	r.until("client sees the disconnect", 5*time.Second, func() bool { return c.State() != core.StateConnected })
	require.Equal(t, core.StateDisconnected, c.State())
	require.Equal(t, core.ReasonRemote, c.DisconnectReason())
	code, debug := c.EndReason()
	require.Equal(t, EndReasonDisconnect, code)
	require.Equal(t, "disconnected by the server", debug)
	require.Zero(t, r.s.NumConnected())
	require.Empty(t, r.take())

	// The client connects again, from a new port: a new id.
	require.NoError(t, c.Connect())
	r.until("reconnected", 5*time.Second, func() bool { return c.State() == core.StateConnected && r.s.NumConnected() == 1 })
	require.NotEqual(t, id, r.s.ConnectedIDs(nil)[0])
}

// 16 clients, a broadcast reaching each, then the server stops: every
// client reads EndReasonServerStopped.
func TestGNSBroadcastAndStop(t *testing.T) {
	lib := openGNS(t)
	r := newGNSRig(t, lib)
	const n = 16
	for range n {
		r.client()
	}
	r.until("16 connected", 10*time.Second, func() bool {
		if r.s.NumConnected() != n {
			return false
		}
		for _, c := range r.clients {
			if c.State() != core.StateConnected {
				return false
			}
		}
		return true
	})
	evs := r.take()
	require.Len(t, evs, n)
	ids := map[core.ClientID]bool{}
	for _, ev := range evs {
		require.Equal(t, core.EventConnected, ev.Type)
		ids[ev.Client] = true
	}
	require.Len(t, ids, n, "16 distinct ids")

	msg := []byte("to everyone")
	require.NoError(t, r.s.Broadcast(msg))
	got := make([]int, n)
	r.until("broadcast received", 5*time.Second, func() bool {
		done := true
		for i, c := range r.clients {
			for p, ok := c.Receive(); ok; p, ok = c.Receive() {
				require.Equal(t, msg, p)
				got[i]++
			}
			done = done && got[i] > 0
		}
		return done
	})
	for i := range got {
		require.Equal(t, 1, got[i], "client %d", i)
	}
	require.Equal(t, uint64(n), r.s.Stats().PacketsSent)

	require.NoError(t, r.s.Stop())
	evs = r.take()
	require.Len(t, evs, n)
	for _, ev := range evs {
		require.Equal(t, core.EventDisconnected, ev.Type)
		require.Equal(t, core.ReasonServerStopped, ev.Reason)
		require.True(t, ids[ev.Client])
	}
	r.until("every client disconnected", 5*time.Second, func() bool {
		for _, c := range r.clients {
			if c.State() == core.StateConnected {
				return false
			}
		}
		return true
	})
	for i, c := range r.clients {
		require.Equal(t, core.StateDisconnected, c.State(), "client %d", i)
		require.Equal(t, core.ReasonRemote, c.DisconnectReason(), "client %d", i)
		code, debug := c.EndReason()
		require.Equal(t, EndReasonServerStopped, code, "client %d", i)
		require.Equal(t, "server stopped", debug, "client %d", i)
	}
}

// Nothing listens on the port: the attempt fails by itself, as a request
// timeout, within TimeoutInitial and a little.
func TestGNSConnectToNobody(t *testing.T) {
	lib := openGNS(t)
	c, err := NewClient(lib, ClientConfig{Address: loopback(freeUDPPort(t))})
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, c.Connect())
	gnsUntil(t, "attempt over", gnsTimeout+3*time.Second, func() { require.NoError(t, c.Update(time.Millisecond)) },
		func() bool { return !c.State().IsConnecting() })
	took := time.Since(start)
	code, debug := c.EndReason()
	t.Logf("attempt ended after %v: %v, end reason %d %q", took.Round(time.Millisecond), c.State(), code, debug)
	require.Equal(t, core.StateConnectionRequestTimeout, c.State())
	require.Equal(t, core.ReasonRequestTimedOut, c.DisconnectReason())
	require.Equal(t, endMiscTimeout, code, "GNS's own Misc_Timeout")
	require.NotEmpty(t, debug, "GNS says why")
	require.GreaterOrEqual(t, took, gnsTimeout-100*time.Millisecond, "ended only by the timeout")
	require.NoError(t, c.Close())
}

// k_ESteamNetConnectionEnd_Misc_Timeout: GNS gave up on the peer.
const endMiscTimeout = 5003

// 1,200 bytes go; 1,201 are refused before Steam sees them.
func TestGNSPayloadLimit(t *testing.T) {
	lib := openGNS(t)
	r := newGNSRig(t, lib)
	c, id := r.connect()
	r.take()
	maxUp, maxDown := numbered(1, core.MaxPayload, 'u'), numbered(2, core.MaxPayload, 'd')
	big := make([]byte, core.MaxPayload+1)
	require.ErrorIs(t, c.Send(big), core.ErrPayloadSize)
	require.ErrorIs(t, r.s.Send(id, big), core.ErrPayloadSize)
	require.ErrorIs(t, r.s.Broadcast(big), core.ErrPayloadSize)
	require.NoError(t, c.Send(maxUp))
	require.NoError(t, r.s.Send(id, maxDown))
	var down [][]byte
	r.until("both received", 5*time.Second, func() bool {
		for p, ok := c.Receive(); ok; p, ok = c.Receive() {
			down = append(down, append([]byte(nil), p...))
		}
		return len(down) > 0 && len(r.events) > 0
	})
	// A while longer: nothing else arrives.
	for range 50 {
		r.tick()
		time.Sleep(time.Millisecond)
	}
	for p, ok := c.Receive(); ok; p, ok = c.Receive() {
		down = append(down, append([]byte(nil), p...))
	}
	require.Equal(t, [][]byte{maxDown}, down)
	require.Equal(t, []core.Event{{Type: core.EventPayload, Client: id, Payload: maxUp}}, r.take())
	require.Equal(t, uint64(1), r.s.Stats().PacketsSent)
	require.Equal(t, uint64(1), c.Stats().PacketsSent)
}

// A client closed while the server streams to it: the server sees it go
// and its sends only ever fail as documented.
func TestGNSClientClosedMidStream(t *testing.T) {
	lib := openGNS(t)
	r := newGNSRig(t, lib)
	c, id := r.connect()
	other, otherID := r.connect()
	r.take()
	payload := numbered(7, 200, 's')
	sent, unknown := 0, 0
	send := func() {
		for range 5 {
			for _, to := range []core.ClientID{id, otherID} {
				switch err := r.s.Send(to, payload); {
				case err == nil:
					sent++
				case to == id && errors.Is(err, core.ErrUnknownClient):
					unknown++ // after the server handled the disconnect
				default:
					t.Fatalf("send to %v: %v", to, err)
				}
			}
		}
	}
	received := 0
	for range 20 {
		send()
		r.tick()
		for _, ok := c.Receive(); ok; _, ok = c.Receive() {
			received++
		}
		time.Sleep(time.Millisecond)
	}
	require.Positive(t, received, "the client was receiving")
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Update(0), core.ErrClosed)
	r.until("server sees the client go", 5*time.Second, func() bool {
		send()
		return r.s.NumConnected() == 1
	})
	for range 20 {
		send()
		r.tick()
	}
	require.Positive(t, unknown)
	require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: id, Reason: core.ReasonRemote}}, r.take())
	// The other client is untouched.
	require.Equal(t, core.StateConnected, other.State())
	n := 0
	r.until("the other client still receives", 5*time.Second, func() bool {
		for p, ok := other.Receive(); ok; p, ok = other.Receive() {
			require.Equal(t, payload, p)
			n++
		}
		return n > 0
	})
}

// Library.Close with a server and a client connected closes them; the
// library opens again after, and works.
func TestGNSCloseWithConnectionsAndReopen(t *testing.T) {
	for round := range 2 {
		lib, err := Open(gnsOptions(t))
		require.NoError(t, err, "round %d", round)
		t.Cleanup(func() { lib.Close() }) // when a check below fails
		r := newGNSRig(t, lib)
		c, id := r.connect()
		require.NoError(t, c.Send([]byte("hello")))
		require.NoError(t, r.s.Send(id, []byte("hi")))
		require.NoError(t, lib.Close())
		require.False(t, r.s.Running())
		require.Equal(t, core.StateDisconnected, c.State())
		require.ErrorIs(t, c.Update(0), core.ErrClosed)
		require.ErrorIs(t, r.s.Start(), core.ErrClosed)
		require.NoError(t, lib.Close(), "a second Close is a no-op")
	}
}

// 10,000 sends of 1,200 bytes each way with no update between: GNS's
// send buffer fills, and every send either goes or is ErrSendBufferFull.
// Only the real library shows this: the double never fills.
func TestGNSSendBurst(t *testing.T) {
	lib := openGNS(t)
	r := newGNSRig(t, lib)
	c, id := r.connect()
	r.take()
	const count = 10000
	var upOK, upFull, downOK, downFull int
	for i := range count {
		switch err := c.Send(numbered(i, core.MaxPayload, 'u')); {
		case err == nil:
			upOK++
		case errors.Is(err, core.ErrSendBufferFull):
			upFull++
		default:
			t.Fatalf("client send %d: %v", i, err)
		}
		switch err := r.s.Send(id, numbered(i, core.MaxPayload, 'd')); {
		case err == nil:
			downOK++
		case errors.Is(err, core.ErrSendBufferFull):
			downFull++
		default:
			t.Fatalf("server send %d: %v", i, err)
		}
	}
	t.Logf("client: %d sent, %d ErrSendBufferFull; server: %d sent, %d ErrSendBufferFull", upOK, upFull, downOK, downFull)
	require.Positive(t, upFull)
	require.Positive(t, downFull)
	require.Equal(t, count, upOK+upFull)
	require.Equal(t, count, downOK+downFull)
	require.Equal(t, uint64(downOK), r.s.Stats().PacketsSent, "refused sends are not counted")
	require.Equal(t, uint64(upOK), c.Stats().PacketsSent)

	// GNS drains its buffers at its send rate; everything it took
	// arrives, intact, and then the connection carries new payloads.
	var up, down int
	check := func(p []byte, dir byte) {
		i := int(binary.LittleEndian.Uint32(p))
		require.Equal(t, numbered(i, len(p), dir), p)
	}
	r.until("the queued payloads arrive", 10*time.Second, func() bool {
		for p, ok := c.Receive(); ok; p, ok = c.Receive() {
			check(p, 'd')
			down++
		}
		for _, ev := range r.take() {
			require.Equal(t, core.EventPayload, ev.Type)
			check(ev.Payload, 'u')
			up++
		}
		return up >= upOK && down >= downOK
	})
	require.Equal(t, upOK, up)
	require.Equal(t, downOK, down)
	require.NoError(t, c.Send([]byte("after")))
	require.NoError(t, r.s.Send(id, []byte("burst")))
	var got []byte
	r.until("the connection still works", 5*time.Second, func() bool {
		if p, ok := c.Receive(); ok {
			got = append([]byte(nil), p...)
		}
		return got != nil && len(r.events) > 0
	})
	require.Equal(t, []byte("burst"), got)
	require.Equal(t, []core.Event{{Type: core.EventPayload, Client: id, Payload: []byte("after")}}, r.take())
	require.Equal(t, core.StateConnected, c.State())
}

// The native peer: tests/gns/native_peer.cpp, built with g++ against the
// GNS under test (headers and library from build-gns.sh's directory).

var nativePeer struct {
	sync.Mutex
	path string // built once per test binary, in testDir
	err  error
}

// nativePeerPath builds the native peer, or skips when g++ or GNS's
// headers are missing.
func nativePeerPath(t *testing.T, lib string) string {
	t.Helper()
	gxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip("g++ not found: the native GNS peer cannot be built")
	}
	dir := filepath.Dir(filepath.Dir(lib)) // DIR of DIR/lib/libGameNetworkingSockets.so
	if _, err := os.Stat(filepath.Join(dir, "include", "steam", "steamnetworkingsockets.h")); err != nil {
		t.Skipf("GNS headers not next to %s (build-gns.sh puts them in DIR/include): %v", lib, err)
	}
	nativePeer.Lock()
	defer nativePeer.Unlock()
	if nativePeer.path == "" && nativePeer.err == nil {
		out := filepath.Join(testDir, "native_peer")
		libDir := filepath.Dir(lib)
		cmd := exec.Command(gxx, "-std=c++17", "-O1", "-Wall", "-Werror",
			"-I", filepath.Join(dir, "include"), filepath.Join("..", "tests", "gns", "native_peer.cpp"),
			"-o", out, "-L", libDir, "-lGameNetworkingSockets", "-Wl,-rpath,"+libDir)
		if msg, err := cmd.CombinedOutput(); err != nil {
			nativePeer.err = fmt.Errorf("%v: %v\n%s", cmd, err, msg)
		} else {
			nativePeer.path = out
		}
	}
	require.NoError(t, nativePeer.err, "building the native peer")
	return nativePeer.path
}

// native is a running native peer; its stdout lines arrive on lines.
type native struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	seen  []string
	done  chan struct{}
	err   error // Wait's result, once done is closed
}

func startNative(t *testing.T, args ...string) *native {
	t.Helper()
	lib := gnsLibPath(t)
	cmd := exec.Command(nativePeerPath(t, lib), args...)
	cmd.Stderr = &bytes.Buffer{}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	n := &native{t: t, cmd: cmd, lines: make(chan string, 64), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			n.lines <- sc.Text()
		}
		n.err = cmd.Wait()
		close(n.lines)
		close(n.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() // a no-op once it has exited
		<-n.done
		if t.Failed() {
			t.Logf("native peer %v: stdout %q, stderr %s", args, n.seen, cmd.Stderr)
		}
	})
	return n
}

// expect ticks until the native peer prints want, failing on anything
// else it prints but the lines in allowed.
func (n *native) expect(tick func(), want string, allowed ...string) {
	n.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tick()
		select {
		case line, ok := <-n.lines:
			if !ok {
				n.t.Fatalf("native peer ended (%v) before %q; it printed %q", n.err, want, n.seen)
			}
			n.seen = append(n.seen, line)
			if line == want {
				return
			}
			if !slices.Contains(allowed, line) {
				n.t.Fatalf("native peer printed %q, waiting for %q", line, want)
			}
		case <-time.After(time.Millisecond):
		}
	}
	n.t.Fatalf("native peer did not print %q in 10 s; it printed %q", want, n.seen)
}

// exit waits for the native peer's end, which must be "done" and status 0.
func (n *native) exit(tick func()) {
	n.t.Helper()
	n.expect(tick, "done")
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		n.t.Fatal("native peer did not exit")
	}
	require.NoError(n.t, n.err, "native peer's exit status")
}

// Our client against the native server: echoes byte-exact, then either
// the native server ends the connection ("bye": its end reason and text
// reach our client) or our client does (the native server prints ours),
// by Disconnect or by closing the whole Library.
func TestGNSNativeServer(t *testing.T) {
	for _, end := range []string{"native-closes", "we-disconnect", "we-close-library"} {
		t.Run(end, func(t *testing.T) {
			lib := openGNS(t)
			port := freeUDPPort(t)
			srv := startNative(t, "server", fmt.Sprint(port))
			c, err := NewClient(lib, ClientConfig{Address: loopback(port)})
			require.NoError(t, err)
			defer c.Close()
			tick := func() { require.NoError(t, c.Update(time.Millisecond)) }
			srv.expect(tick, fmt.Sprintf("listening %d", port))
			require.NoError(t, c.Connect())
			srv.expect(tick, "connected")
			gnsUntil(t, "connected", 5*time.Second, tick, func() bool { return c.State() == core.StateConnected })

			const count = 200
			var got [][]byte
			for i := range count {
				require.NoError(t, c.Send(numbered(i, 4+(i*53)%(core.MaxPayload-3), 'c')))
			}
			gnsUntil(t, "echoes", 5*time.Second, tick, func() bool {
				for p, ok := c.Receive(); ok; p, ok = c.Receive() {
					got = append(got, append([]byte(nil), p...))
				}
				return len(got) >= count
			})
			require.Len(t, got, count)
			for i := range count {
				require.Equal(t, numbered(i, 4+(i*53)%(core.MaxPayload-3), 'c'), got[i], "echo %d", i)
			}

			switch end {
			case "native-closes":
				require.NoError(t, c.Send([]byte("bye")))
				srv.expect(tick, fmt.Sprintf("echoes %d", count))
				srv.expect(tick, "closed-by-self 1042")
				gnsUntil(t, "closed by the native server", 5*time.Second, tick, func() bool { return c.State() != core.StateConnected })
				require.Equal(t, core.StateDisconnected, c.State())
				require.Equal(t, core.ReasonRemote, c.DisconnectReason())
				code, debug := c.EndReason()
				require.Equal(t, 1042, code)
				require.Equal(t, "native bye", debug)
			case "we-disconnect":
				require.NoError(t, c.Disconnect())
				require.Equal(t, core.ReasonLocal, c.DisconnectReason())
				srv.expect(tick, fmt.Sprintf("closed-by-peer %d disconnected by the client", EndReasonDisconnect))
			case "we-close-library":
				// Close disconnects the client first, and GNS sends the
				// close packet inside CloseConnection: the peer reads our
				// end reason, not a timeout, though GNS is then killed.
				require.NoError(t, lib.Close())
				tick = func() {}
				srv.expect(tick, fmt.Sprintf("closed-by-peer %d disconnected by the client", EndReasonDisconnect))
			}
			srv.exit(tick)
		})
	}
}

// The native client against our server, which echoes: then either the
// native client ends the connection with an end code of its own, or our
// server does and the native client prints our end reason and text.
func TestGNSNativeClient(t *testing.T) {
	for _, byNative := range []bool{true, false} {
		name := map[bool]string{true: "native-closes", false: "we-close"}[byNative]
		t.Run(name, func(t *testing.T) {
			lib := openGNS(t)
			r := newGNSRig(t, lib)
			const count = 200
			args := []string{"client", loopback(r.port).String(), fmt.Sprint(count), "wait"}
			if byNative {
				args = append(args[:3], "close", "1077")
			}
			cl := startNative(t, args...)
			// Our server echoes what it receives.
			var id core.ClientID
			echoed := 0
			tick := func() {
				r.tick()
				for _, ev := range r.take() {
					switch ev.Type {
					case core.EventConnected:
						require.Zero(t, id, "one client")
						id = ev.Client
						addr, ok := r.s.ClientAddr(id)
						require.True(t, ok)
						require.Equal(t, addrID(addr), id.ID)
					case core.EventPayload:
						require.Equal(t, id, ev.Client)
						require.NoError(t, r.s.Send(id, ev.Payload))
						echoed++
					default:
						r.events = append(r.events, ev)
					}
				}
			}
			cl.expect(tick, "connected")
			cl.expect(tick, fmt.Sprintf("echoes %d", count))
			require.Equal(t, count, echoed)
			if byNative {
				cl.expect(tick, "closed-by-self 1077")
				gnsUntil(t, "server sees the native client go", 5*time.Second, tick, func() bool { return r.s.NumConnected() == 0 })
				require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: id, Reason: core.ReasonRemote}}, r.events)
			} else {
				require.NoError(t, r.s.Disconnect(id))
				tick()
				require.Equal(t, []core.Event{{Type: core.EventDisconnected, Client: id, Reason: core.ReasonLocal}}, r.events)
				cl.expect(tick, fmt.Sprintf("closed-by-peer %d disconnected by the server", EndReasonDisconnect))
			}
			cl.exit(tick)
		})
	}
}

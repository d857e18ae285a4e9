package main

import (
	"bytes"
	"fmt"
	"math"
	"net"
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// An idle server's ticks, through the C entries as a C caller makes them,
// stay out of Go (tick.c: a server with no client is steady): of 1000
// ticks (update, poll_batch, flush) only the first update enters Go. A
// local client, or a datagram on the socket, takes the state back to Go
// at once: every update with a local client enters Go, and so does the
// one after a datagram arrives.
func TestIdleTicksStayInC(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the tick in C is Linux only")
	}
	var srv *cServer
	mustOK(t, "ly_server_create", ly__go_server_create(serverConfig("127.0.0.1:0"), &srv))
	defer ly__go_server_destroy(srv)
	mustOK(t, "ly_server_start", ly__go_server_start(srv))
	buf := make([]byte, 64)
	n := ly__go_server_address(srv, 0, cchars(buf), 64)
	if n <= 0 {
		t.Fatalf("ly_server_address: %d", n)
	}
	var evs [4]cEvent
	payload := make([]byte, 1500)
	tick := func() {
		t.Helper()
		if rc := cServerUpdate(srv, 1.0/60); rc != 0 {
			t.Fatalf("ly_server_update: %d", rc)
		}
		if rc := cServerPollBatch(srv, &evs[0], 4, cbuf(payload), uint32(len(payload))); rc < 0 {
			t.Fatalf("ly_server_poll_batch: %d", rc)
		}
		if rc := cServerFlush(srv); rc != 0 {
			t.Fatalf("ly_server_flush: %d", rc)
		}
	}
	// ticks runs k ticks and returns how many updates entered Go.
	ticks := func(k int) uint64 {
		t.Helper()
		g0, h0 := goServerUpdates.Load(), tickHits()
		for range k {
			tick()
		}
		g, h := goServerUpdates.Load()-g0, tickHits()-h0
		if g+h != uint64(k) {
			t.Fatalf("%d ticks: %d updates in Go and %d in C", k, g, h)
		}
		return g
	}
	if g := ticks(1000); g > 1 {
		t.Errorf("idle server: %d of 1000 updates entered Go, want at most 1", g)
	}

	var loc *cClient
	mustOK(t, "ly_server_connect_local", ly__go_server_connect_local(srv, 9, &loc))
	if g := ticks(50); g != 50 {
		t.Errorf("with a local client: %d of 50 updates entered Go, want all", g)
	}
	mustOK(t, "ly_client_destroy", ly__go_client_destroy(loc))
	if g := ticks(50); g > 2 { // the disconnect event, polled; then quiet
		t.Errorf("local client gone: %d of 50 updates entered Go, want at most 2", g)
	}
	if cServerNumConnected(srv) != 0 {
		t.Errorf("num_connected: %d", cServerNumConnected(srv))
	}

	conn, err := net.Dial("udp", string(buf[:n]))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for round := range 3 {
		if _, err := conn.Write([]byte{0xFF, 1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		var st cStats
		st.struct_size = cU32(unsafe.Sizeof(st))
		before := goServerUpdates.Load()
		// The datagram is on its way through loopback: the first update
		// that sees it readable enters Go and reads it.
		for i := 0; i < 1000 && goServerUpdates.Load() == before; i++ {
			tick()
			time.Sleep(100 * time.Microsecond)
		}
		mustOK(t, "ly_server_stats", ly__go_server_stats(srv, &st))
		if st.packets_received != cU64(round+1) {
			t.Fatalf("round %d: %d packets received", round, st.packets_received)
		}
		if g := ticks(100); g > 1 {
			t.Errorf("round %d: %d of 100 updates after the datagram entered Go, want at most 1", round, g)
		}
	}
}

// ---------------------------------------------------------------------
// The tick in C against real netcode clients over loopback UDP.
//
// Each scenario runs twice on a fresh server made through the C API:
// once with the tick in C allowed (tickOff false) and once forced onto
// the Go path (tickOff true). The server is driven only through the C
// entries (cServerUpdate and the rest), as a C game drives it, with a
// simulated clock; the clients are core/netcode's, with the same clock.
// Each run gives a transcript (every server event, the server's and
// every client's counters, what every client received), and the two
// must be equal field by field: the C path must be indistinguishable
// from Go. The tick-on run must also have answered most of its updates
// in C, so a C path that silently never engages fails too.
//
// Determinism: nothing depends on the wall clock. A datagram sent over
// loopback is normally readable as the send returns; the rig still
// waits (poll(2), never a blind sleep) for the server's socket before an
// update, and when a payload it knows was sent has not arrived yet it
// updates again with dt 0 (which sends and times out nothing) until it
// has. Timing appears in no assertion, only in the deadlines that turn
// a lost datagram into a failure instead of a hang.

// tickDT is the simulated tick, for the server and the clients alike.
const tickDT = 1.0 / 60

// skipUnlessTickC skips on systems without the C tick.
func skipUnlessTickC(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("the tick in C runs on Linux only (tick.c); on %s every call takes the Go path", runtime.GOOS)
	}
}

// statsRec is a ly_stats without its header, comparable.
type statsRec struct {
	PacketsSent, PacketsReceived, BytesSent, BytesReceived   uint64
	DroppedMalformed, DroppedReplayed, DroppedDecryptFailed  uint64
	DroppedUnknownAddress, DroppedQueueFull, DroppedRejected uint64
	DroppedOversized, DroppedTableFull                       uint64
	SecondsSinceLastReceive                                  float64
}

func statsOfC(st *cStats) statsRec {
	return statsRec{
		PacketsSent: uint64(st.packets_sent), PacketsReceived: uint64(st.packets_received),
		BytesSent: uint64(st.bytes_sent), BytesReceived: uint64(st.bytes_received),
		DroppedMalformed: uint64(st.dropped_malformed), DroppedReplayed: uint64(st.dropped_replayed),
		DroppedDecryptFailed: uint64(st.dropped_decrypt_failed), DroppedUnknownAddress: uint64(st.dropped_unknown_address),
		DroppedQueueFull: uint64(st.dropped_queue_full), DroppedRejected: uint64(st.dropped_rejected),
		DroppedOversized: uint64(st.dropped_oversized), DroppedTableFull: uint64(st.dropped_table_full),
		SecondsSinceLastReceive: float64(st.seconds_since_last_receive),
	}
}

func statsOfCore(st core.Stats) statsRec {
	return statsRec{
		PacketsSent: st.PacketsSent, PacketsReceived: st.PacketsReceived,
		BytesSent: st.BytesSent, BytesReceived: st.BytesReceived,
		DroppedMalformed: st.DroppedMalformed, DroppedReplayed: st.DroppedReplayed,
		DroppedDecryptFailed: st.DroppedDecryptFailed, DroppedUnknownAddress: st.DroppedUnknownAddress,
		DroppedQueueFull: st.DroppedQueueFull, DroppedRejected: st.DroppedRejected,
		DroppedOversized: st.DroppedOversized, DroppedTableFull: st.DroppedTableFull,
		SecondsSinceLastReceive: st.SinceLastReceive.Seconds(),
	}
}

// tickEvent is one server event as the game polled it.
type tickEvent struct {
	Step         int // the scenario's tick it was polled in
	Type, Reason uint32
	Client       uint64
	Kind         uint32
	Payload      []byte
}

func (e tickEvent) String() string {
	s := fmt.Sprintf("step %d type %d reason %d client %d/%d", e.Step, e.Type, e.Reason, e.Kind, e.Client)
	if e.Type == evPayload {
		s += fmt.Sprintf(" %d bytes %x", len(e.Payload), e.Payload[:min(len(e.Payload), 8)])
	}
	return s
}

// tickTranscript is what one run of a scenario observed.
type tickTranscript struct {
	Events      []tickEvent
	Notes       []string            // what the scenario recorded: return codes, counters read mid-run
	Server      statsRec            // ly_server_stats
	ServerSide  map[uint64]statsRec // ly_server_client_stats of the clients still connected
	Received    map[uint64][][]byte // what each client received, in order
	ClientStats map[uint64]statsRec // each client's own counters
	States      map[uint64]string   // each client's state and reason
}

// recTransport is a client's UDP socket that keeps a copy of every
// datagram the client writes, and can write more from the same address.
type recTransport struct {
	transport.Transport
	fd     int
	writes int      // datagrams written, the client's and raw ones
	sent   [][]byte // copies of the client's datagrams
	tamper bool     // flip a bit of the next payload the client writes
	held   []byte   // the payload tamper spoilt, intact
}

func (r *recTransport) WriteBatch(msgs []transport.Message) (int, error) {
	if r.tamper && len(msgs) == 1 && msgs[0].N > 0 && msgs[0].Buf[0]&0xf == 5 {
		// The client's next payload: it goes out with one bit flipped,
		// the intact datagram is kept in held.
		r.tamper = false
		r.held = bytes.Clone(msgs[0].Buf[:msgs[0].N])
		bad := bytes.Clone(r.held)
		bad[len(bad)/2] ^= 0x10
		msgs = []transport.Message{{Buf: bad, N: len(bad), Addr: msgs[0].Addr}}
	}
	n, err := r.Transport.WriteBatch(msgs)
	for _, m := range msgs[:n] {
		r.writes++
		r.sent = append(r.sent, bytes.Clone(m.Buf[:m.N]))
	}
	return n, err
}

func (r *recTransport) ReadDrained() bool {
	d, ok := r.Transport.(transport.ReadDrainer)
	return ok && d.ReadDrained()
}

// raw writes b to to from the client's socket, as the client never would.
func (r *recTransport) raw(t *testing.T, to netip.AddrPort, b []byte) {
	t.Helper()
	msg := []transport.Message{{Buf: b, N: len(b), Addr: to}}
	if n, err := r.Transport.WriteBatch(msg); n != 1 || err != nil {
		t.Fatalf("raw write of %d bytes: %d %v", len(b), n, err)
	}
	r.writes++
}

// tickClient is a netcode client of a tickRun.
type tickClient struct {
	r     *tickRun
	id    uint64
	c     *netcode.Client
	rec   *recTransport
	sent  [][]byte // payloads it sent
	atSrv [][]byte // payloads the server polled from it
	toIt  [][]byte // payloads the server sent it
	got   [][]byte // payloads it received
	// connected: the server's CONNECTED event was polled, and no
	// DISCONNECTED since. frozen: no longer updated (gone silent).
	connected, frozen bool
	answered          int // rec.writes before its last update
}

func (c *tickClient) cid() cID { return cID{id: cU64(c.id), kind: cU32(core.KindNetcode)} }

// send sends payload p to the server.
func (c *tickClient) send(p []byte) {
	c.r.t.Helper()
	if err := c.c.Send(p); err != nil {
		c.r.t.Fatalf("client %d: send %d bytes: %v", c.id, len(p), err)
	}
	c.sent = append(c.sent, p)
}

func (c *tickClient) drain() {
	for {
		p, ok := c.c.Receive()
		if !ok {
			return
		}
		c.got = append(c.got, bytes.Clone(p))
	}
}

// update advances the client by dt and takes what it received; then, if
// it is connected, waits (updating with dt 0) until every payload the
// server sent it has arrived.
func (c *tickClient) update(dt float64) {
	t := c.r.t
	t.Helper()
	// A handshake packet the client sent in its last update was answered
	// in the server's tick that read it.
	if c.c.State().IsConnecting() && c.rec != nil && c.rec.writes > c.answered {
		waitReadable([]int{c.rec.fd}, 50*time.Millisecond)
	}
	if c.rec != nil {
		c.answered = c.rec.writes
	}
	if err := c.c.Update(time.Duration(dt * 1e9)); err != nil {
		t.Fatalf("client %d: update: %v", c.id, err)
	}
	c.drain()
	deadline := time.Now().Add(5 * time.Second)
	for c.c.State() == core.StateConnected && len(c.got) < len(c.toIt) {
		if time.Now().After(deadline) {
			t.Fatalf("client %d: %d of the %d payloads the server sent arrived", c.id, len(c.got), len(c.toIt))
		}
		waitReadable([]int{c.rec.fd}, 10*time.Millisecond)
		if err := c.c.Update(0); err != nil {
			t.Fatalf("client %d: update: %v", c.id, err)
		}
		c.drain()
	}
}

// tickRun is one run of a scenario.
type tickRun struct {
	t        *testing.T
	off      bool // tickOff for this run
	srv      *cServer
	addrs    []netip.AddrPort // the server's addresses, for tokens
	fds      []int            // its sockets, polled for readability
	dt       float64
	step     int  // ticks so far
	echoing  bool // the server echoes every payload it polls to its sender
	autoPoll bool // every tick polls every event
	lossy    bool // payloads may be dropped (a full queue): atSrv is a prefix of sent
	// beforeFlush, if set, runs in every server tick between the poll
	// (and its echoes) and the flush.
	beforeFlush func()
	destroyed   bool
	clients     []*tickClient
	byID        map[uint64]*tickClient
	tr          tickTranscript
	echoes      []tickEvent // polled, to echo
	evs         [64]cEvent
	buf         []byte
	// The C share is counted from the last mark.
	updates, markUpdates int
	markHits, markGo     uint64
	writesSeen           int    // client datagrams written before the last server tick
	strangerWrites       int    // datagrams written to the server from other sockets
	srvBase, writesBase  uint64 // the server's count at the last restart, and the clients'
	minShare             float64
}

// newTickRun makes and starts a server through the C API, bound by cfg
// (nil: 127.0.0.1:0, defaults), with the tick in C allowed or not.
func newTickRun(t *testing.T, off bool, cfg func(*cServerConfig)) *tickRun {
	t.Helper()
	tickOff.Store(off)
	r := &tickRun{t: t, off: off, dt: tickDT, echoing: true, autoPoll: true, byID: map[uint64]*tickClient{},
		buf: make([]byte, 64*maxPayloadSize)}
	r.tr = tickTranscript{ServerSide: map[uint64]statsRec{}, Received: map[uint64][][]byte{},
		ClientStats: map[uint64]statsRec{}, States: map[uint64]string{}}
	// A server whose tick slot another live handle holds keeps the Go
	// path (tick.c): take another handle then, so that the tick-on run
	// does test C.
	var spare []*cServer
	for try := 0; r.srv == nil; try++ {
		c := serverConfig("127.0.0.1:0")
		if cfg != nil {
			cfg((*cServerConfig)(unsafe.Pointer(c)))
		}
		var srv *cServer
		mustOK(t, "ly_server_create", ly__go_server_create(c, &srv))
		if !tickSlotTaken(srv) {
			r.srv = srv
		} else if spare = append(spare, srv); try == 8 {
			t.Fatal("every server handle made has its tick slot taken")
		}
	}
	for _, s := range spare {
		ly__go_server_destroy(s)
	}
	t.Cleanup(func() {
		for _, c := range r.clients {
			c.c.Close()
		}
		if !r.destroyed {
			ly__go_server_destroy(r.srv)
		}
	})
	mustOK(t, "ly_server_start", ly__go_server_start(r.srv))
	r.started()
	r.mark()
	return r
}

// started reads the addresses and descriptors of a server just started.
func (r *tickRun) started() {
	t := r.t
	t.Helper()
	r.addrs, r.fds = r.addrs[:0], r.fds[:0]
	buf := make([]byte, 64)
	for i := cU32(0); ; i++ {
		n := ly__go_server_address(r.srv, i, cchars(buf), 64)
		if n <= 0 {
			break
		}
		a := netip.MustParseAddrPort(string(buf[:n]))
		if a.Addr().IsUnspecified() { // dual stack: the clients are IPv4
			a = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), a.Port())
		}
		r.addrs = append(r.addrs, a)
	}
	e := handles.acquire(kindServer, serverBits(r.srv))
	if e == nil {
		t.Fatal("server handle gone")
	}
	for i := range r.addrs {
		if p, ok := e.obj.(*serverHandle).nc.SocketTransport(i).(interface{ PollFD() (int, bool) }); ok {
			if fd, ok := p.PollFD(); ok {
				r.fds = append(r.fds, fd)
			}
		}
	}
	e.mu.Unlock()
	if len(r.addrs) == 0 || len(r.fds) != len(r.addrs) {
		t.Fatalf("the server's addresses %v, descriptors %v", r.addrs, r.fds)
	}
}

// mark starts counting the updates that must run in C from here.
func (r *tickRun) mark() {
	r.markUpdates, r.markHits, r.markGo = r.updates, tickHits(), goServerUpdates.Load()
}

// checkShare checks the updates since the last mark: all in Go with the
// tick off, at least minShare of them in C with it on.
func (r *tickRun) checkShare() {
	t := r.t
	t.Helper()
	n := uint64(r.updates - r.markUpdates)
	h, g := tickHits()-r.markHits, goServerUpdates.Load()-r.markGo
	if h+g != n {
		t.Errorf("%d updates: %d answered in C and %d entered Go", n, h, g)
	}
	if r.off && h != 0 {
		t.Errorf("tick off: %d of %d updates answered in C, want none", h, n)
	}
	if !r.off && float64(h) < r.minShare*float64(n) {
		t.Errorf("tick on: %d of %d updates answered in C, want at least %.0f%%", h, n, 100*r.minShare)
	}
	if testing.Verbose() && !r.off {
		t.Logf("tick on: %d of %d updates answered in C", h, n)
	}
}

// newClient makes a client of the server with a token that times out
// after timeout seconds.
func (r *tickRun) newClient(id uint64, timeout int32) *tickClient {
	t := r.t
	t.Helper()
	c := &tickClient{r: r, id: id}
	c.c = netcode.NewClient(r.token(id, timeout), netcode.ClientConfig{ClientID: id,
		Dial: func(a netip.AddrPort) (transport.Transport, error) {
			u, err := netcode.DialUDP(a)
			if err != nil {
				return nil, err
			}
			c.rec = &recTransport{Transport: u, fd: -1}
			if p, ok := u.(interface{ PollFD() (int, bool) }); ok {
				c.rec.fd, _ = p.PollFD()
			}
			return c.rec, nil
		}})
	r.clients = append(r.clients, c)
	r.byID[id] = c
	return c
}

// token is a token for client id, naming one of the server's addresses
// (by id, so that the clients of a server with several sockets use all).
func (r *tickRun) token(id uint64, timeout int32) []byte {
	r.t.Helper()
	tok, err := netcode.GenerateConnectToken(netcode.TokenParams{ProtocolID: testProtocol, ClientID: id,
		PrivateKey: netcode.Key(testKey), PublicAddresses: []netip.AddrPort{r.addrs[int(id)%len(r.addrs)]}, ExpireSeconds: 300,
		TimeoutSeconds: timeout})
	if err != nil {
		r.t.Fatal(err)
	}
	b, err := tok.MarshalBinary()
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// connectNew makes n clients, ids from first on, and connects them.
func (r *tickRun) connectNew(first uint64, n int) []*tickClient {
	r.t.Helper()
	cs := make([]*tickClient, n)
	for i := range cs {
		cs[i] = r.newClient(first+uint64(i), 5)
	}
	r.connect(cs...)
	return cs
}

// confirm ticks for 0.1 s without payloads: every connected client
// sends a keep-alive, which confirms it at the server (netcode.Server
// Steady wants every client confirmed).
func (r *tickRun) confirm() {
	r.t.Helper()
	for range int(0.1/r.dt) + 1 {
		r.tick(nil)
	}
}

// connect connects cs and ticks until each is connected at both ends.
func (r *tickRun) connect(cs ...*tickClient) {
	t := r.t
	t.Helper()
	for _, c := range cs {
		if err := c.c.Connect(); err != nil {
			t.Fatalf("client %d: connect: %v", c.id, err)
		}
	}
	for i := 0; ; i++ {
		done := true
		for _, c := range cs {
			done = done && c.c.State() == core.StateConnected && c.connected
		}
		if done {
			return
		}
		if i == 300 {
			for _, c := range cs {
				t.Errorf("client %d: %v, connected at the server %v", c.id, c.c.State(), c.connected)
			}
			t.Fatal("clients not connected after 300 ticks")
		}
		r.tick(nil)
	}
}

// tick is one simulated tick: every client that is not frozen updates
// (reading, sending its keep-alive when due), send runs (the clients'
// payloads, the game's other calls), then the server ticks through the
// C entries: update, poll (with autoPoll: every event, echoing payloads
// if echoing), flush.
func (r *tickRun) tick(send func()) {
	r.t.Helper()
	for _, c := range r.clients {
		if !c.frozen && c.c.State() > core.StateDisconnected {
			c.update(r.dt)
		}
	}
	if send != nil {
		send()
	}
	r.serverTick(r.dt)
	r.step++
}

// writes is the number of datagrams the clients wrote to the server.
func (r *tickRun) writes() int {
	n := r.strangerWrites
	for _, c := range r.clients {
		if c.rec != nil {
			n += c.rec.writes
		}
	}
	return n
}

// update is one cServerUpdate, which must succeed.
func (r *tickRun) update(dt float64) {
	r.t.Helper()
	r.updates++
	if rc := cServerUpdate(r.srv, dt); rc != 0 {
		r.t.Fatalf("step %d: ly_server_update(%v): %d", r.step, dt, rc)
	}
}

func (r *tickRun) serverTick(dt float64) {
	t := r.t
	t.Helper()
	if w := r.writes(); w > r.writesSeen {
		waitReadable(r.fds, 100*time.Millisecond)
		r.writesSeen = w
	}
	r.update(dt)
	if r.autoPoll {
		r.pollAll()
		deadline := time.Now().Add(5 * time.Second)
		for c := r.missing(); c != nil; c = r.missing() {
			if time.Now().After(deadline) {
				t.Fatalf("step %d: client %d sent %d payloads, the server polled %d", r.step, c.id, len(c.sent), len(c.atSrv))
			}
			waitReadable(r.fds, 10*time.Millisecond)
			r.update(0)
			r.pollAll()
		}
	}
	if r.beforeFlush != nil {
		r.beforeFlush()
	}
	if rc := cServerFlush(r.srv); rc != 0 {
		t.Fatalf("step %d: ly_server_flush: %d", r.step, rc)
	}
}

// missing is a client whose payloads have not all reached the server.
func (r *tickRun) missing() *tickClient {
	if r.lossy {
		return nil
	}
	for _, c := range r.clients {
		if c.connected && len(c.atSrv) < len(c.sent) {
			return c
		}
	}
	return nil
}

// pollAll polls every pending event through ly_server_poll_batch, then
// echoes the payloads if r.echoing.
func (r *tickRun) pollAll() {
	t := r.t
	t.Helper()
	for {
		n := cServerPollBatch(r.srv, &r.evs[0], uint32(len(r.evs)), cbuf(r.buf), uint32(len(r.buf)))
		if n < 0 {
			t.Fatalf("step %d: ly_server_poll_batch: %d", r.step, n)
		}
		if n == 0 {
			r.echo()
			return
		}
		for i := range int(n) {
			ev := &r.evs[i]
			r.record(ev, r.buf[ev.payload_offset:][:ev.payload_size])
		}
	}
}

// record notes an event polled.
func (r *tickRun) record(ev *cEvent, payload []byte) {
	t := r.t
	t.Helper()
	e := tickEvent{Step: r.step, Type: uint32(ev._type), Reason: uint32(ev.reason),
		Client: uint64(ev.client.id), Kind: uint32(ev.client.kind)}
	if e.Type == evPayload {
		e.Payload = bytes.Clone(payload)
	} else if ev.payload_size != 0 {
		t.Errorf("%v: payload_size %d", e, ev.payload_size)
	}
	r.tr.Events = append(r.tr.Events, e)
	c := r.byID[e.Client]
	if c == nil || e.Kind != uint32(core.KindNetcode) {
		t.Fatalf("event of no client of the test: %v", e)
	}
	switch e.Type {
	case evConnected:
		c.connected = true
	case evDisconnected:
		c.connected = false
	case evPayload:
		c.atSrv = append(c.atSrv, e.Payload)
		if r.echoing {
			r.echoes = append(r.echoes, e)
		}
	}
}

// echo sends back the payloads polled, to the clients still connected.
func (r *tickRun) echo() {
	for _, e := range r.echoes {
		if c := r.byID[e.Client]; c.connected {
			r.send(c, e.Payload)
		}
	}
	r.echoes = r.echoes[:0]
}

// send sends p to c through ly_server_send, which must succeed.
func (r *tickRun) send(c *tickClient, p []byte) {
	r.t.Helper()
	if rc := cServerSend(r.srv, c.cid(), p); rc != 0 {
		r.t.Fatalf("step %d: ly_server_send to %d: %d", r.step, c.id, rc)
	}
	c.toIt = append(c.toIt, p)
}

// broadcast sends p to every client through ly_server_broadcast.
func (r *tickRun) broadcast(p []byte) {
	r.t.Helper()
	if rc := cServerBroadcast(r.srv, p); rc != 0 {
		r.t.Fatalf("step %d: ly_server_broadcast: %d", r.step, rc)
	}
	for _, c := range r.clients {
		if c.connected {
			c.toIt = append(c.toIt, p)
		}
	}
}

// note records a line the other run must record too.
func (r *tickRun) note(format string, args ...any) {
	r.tr.Notes = append(r.tr.Notes, fmt.Sprintf("step %d: ", r.step)+fmt.Sprintf(format, args...))
}

func (r *tickRun) serverStats() statsRec {
	r.t.Helper()
	st := newStats()
	mustOK(r.t, "ly_server_stats", ly__go_server_stats(r.srv, st))
	return statsOfC(st)
}

func (r *tickRun) clientStats(c *tickClient) (statsRec, cInt) {
	st := newStats()
	rc := ly__go_server_client_stats(r.srv, c.cid(), st)
	return statsOfC(st), rc
}

// restarted takes a server started again: a new address, and datagrams
// sent to the old socket are lost.
func (r *tickRun) restarted() {
	r.started()
	r.srvBase, r.writesBase = r.serverStats().PacketsReceived, uint64(r.writes())
	r.writesSeen = r.writes()
}

// settle reads everything still on its way, at an unchanged clock: the
// server until it has read every datagram the clients wrote, then each
// connected client until it has every payload the server sent it and
// its socket is empty.
func (r *tickRun) settle() {
	t := r.t
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		want, got := r.srvBase+uint64(r.writes())-r.writesBase, r.serverStats().PacketsReceived
		if got == want {
			break
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("the clients wrote %d datagrams to the server, which read %d", want, got)
		}
		waitReadable(r.fds, 10*time.Millisecond)
		r.update(0)
		if r.autoPoll {
			r.pollAll()
		}
	}
	for _, c := range r.clients {
		if !c.connected || c.frozen || c.c.State() != core.StateConnected {
			continue
		}
		// The server's packets are readable as its sends return: the
		// payloads are waited for, the rest is what the socket holds.
		for len(c.got) < len(c.toIt) || waitReadable([]int{c.rec.fd}, 0) {
			if time.Now().After(deadline) {
				t.Fatalf("client %d: the server sent %d payloads, it received %d", c.id, len(c.toIt), len(c.got))
			}
			waitReadable([]int{c.rec.fd}, 10*time.Millisecond)
			if err := c.c.Update(0); err != nil {
				t.Fatal(err)
			}
			c.drain()
		}
	}
}

// finish checks the C share, settles, takes the transcript and checks
// what every run must satisfy: each payload arrived once, in order, at
// both ends, and no client dropped a packet of the server's as replayed
// or forged.
func (r *tickRun) finish() *tickTranscript {
	t := r.t
	t.Helper()
	r.checkShare()
	if !r.destroyed {
		r.settle()
		r.tr.Server = r.serverStats()
		for _, c := range r.clients {
			if c.connected {
				st, rc := r.clientStats(c)
				mustOK(t, "ly_server_client_stats", rc)
				r.tr.ServerSide[c.id] = st
			}
		}
	}
	for _, c := range r.clients {
		r.tr.Received[c.id] = c.got
		st := statsOfCore(c.c.Stats())
		r.tr.ClientStats[c.id] = st
		r.tr.States[c.id] = fmt.Sprintf("%v (%v)", c.c.State(), c.c.DisconnectReason())
		if st.DroppedReplayed != 0 || st.DroppedDecryptFailed != 0 {
			t.Errorf("client %d dropped %d packets of the server as replayed, %d that failed to decrypt",
				c.id, st.DroppedReplayed, st.DroppedDecryptFailed)
		}
		sentIt := c.toIt
		if c.frozen { // what the server sent after its last update is left
			sentIt = c.toIt[:min(len(c.toIt), len(c.got))]
		}
		if !samePayloads(c.got, sentIt) {
			t.Errorf("client %d: received %s, the server sent it %s", c.id, describe(c.got), describe(c.toIt))
		}
		want := c.sent
		if r.lossy {
			want = c.sent[:min(len(c.sent), len(c.atSrv))]
		}
		if !samePayloads(c.atSrv, want) {
			t.Errorf("client %d: the server polled %s, it sent %s", c.id, describe(c.atSrv), describe(c.sent))
		}
	}
	return &r.tr
}

func samePayloads(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// describe summarises a payload list: its length and the first
// difference from a sorted order is left to the reader.
func describe(ps [][]byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d payloads [", len(ps))
	for i, p := range ps {
		if i == 6 {
			b.WriteString(" ...")
			break
		}
		fmt.Fprintf(&b, " %d:%x", len(p), p[:min(len(p), 4)])
	}
	b.WriteString(" ]")
	return b.String()
}

// tickPayload is the k-th payload of its sender, size bytes, tagged.
func tickPayload(tag byte, from uint64, k, size int) []byte {
	p := make([]byte, size)
	for i := range p {
		p[i] = byte(uint64(k)*7 + from*13 + uint64(i))
	}
	p[0] = tag
	if size >= 4 {
		p[1] = byte(from)
		p[2], p[3] = byte(k), byte(k>>8)
	}
	return p
}

var tickSizes = []int{1, 100, 1200}

// tickBoth runs scenario twice, the tick in C allowed and then forced
// off, on a fresh server each time, and compares the transcripts. At
// least minShare of the updates since the scenario's last mark must run
// in C in the first run.
func tickBoth(t *testing.T, minShare float64, cfg func(*cServerConfig), scenario func(r *tickRun)) (on, off *tickTranscript) {
	t.Helper()
	skipUnlessTickC(t)
	defer tickOff.Store(false)
	run := func(off bool) *tickTranscript {
		r := newTickRun(t, off, cfg)
		r.minShare = minShare
		scenario(r)
		return r.finish()
	}
	on = run(false)
	off = run(true)
	compareTranscripts(t, on, off)
	return on, off
}

// compareTranscripts reports every difference between the run with the
// tick in C (on) and the one in Go (off).
func compareTranscripts(t *testing.T, on, off *tickTranscript) {
	t.Helper()
	if len(on.Events) != len(off.Events) {
		t.Errorf("%d events with the tick in C, %d in Go", len(on.Events), len(off.Events))
	}
	for i := range min(len(on.Events), len(off.Events)) {
		if !reflect.DeepEqual(on.Events[i], off.Events[i]) {
			t.Errorf("event %d: %v with the tick in C, %v in Go", i, on.Events[i], off.Events[i])
			break
		}
	}
	if len(on.Notes) != len(off.Notes) {
		t.Errorf("%d notes with the tick in C, %d in Go", len(on.Notes), len(off.Notes))
	}
	for i := range min(len(on.Notes), len(off.Notes)) {
		if on.Notes[i] != off.Notes[i] {
			t.Errorf("note %d: %q with the tick in C, %q in Go", i, on.Notes[i], off.Notes[i])
		}
	}
	diffStats(t, "server", on.Server, off.Server)
	for _, id := range unionKeys(on.ServerSide, off.ServerSide) {
		a, okA := on.ServerSide[id]
		b, okB := off.ServerSide[id]
		if okA != okB {
			t.Errorf("client %d connected at the end: %v with the tick in C, %v in Go", id, okA, okB)
			continue
		}
		diffStats(t, fmt.Sprintf("server's client %d", id), a, b)
	}
	for _, id := range unionKeys(on.ClientStats, off.ClientStats) {
		diffStats(t, fmt.Sprintf("client %d", id), on.ClientStats[id], off.ClientStats[id])
		if !samePayloads(on.Received[id], off.Received[id]) {
			t.Errorf("client %d received %s with the tick in C, %s in Go", id, describe(on.Received[id]), describe(off.Received[id]))
		}
		if on.States[id] != off.States[id] {
			t.Errorf("client %d ended %s with the tick in C, %s in Go", id, on.States[id], off.States[id])
		}
	}
}

func diffStats(t *testing.T, what string, on, off statsRec) {
	t.Helper()
	a, b := reflect.ValueOf(on), reflect.ValueOf(off)
	for i := range a.NumField() {
		if x, y := a.Field(i).Interface(), b.Field(i).Interface(); x != y {
			t.Errorf("%s: %s %v with the tick in C, %v in Go", what, a.Type().Field(i).Name, x, y)
		}
	}
}

func unionKeys(a, b map[uint64]statsRec) []uint64 {
	var ids []uint64
	for id := range a {
		ids = append(ids, id)
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// ---------------------------------------------------------------------
// Scenarios.

// skipWithout127002 skips where 127.0.0.2 cannot be bound (the second
// socket of a two-socket server).
func skipWithout127002(t *testing.T) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2 cannot be bound here: %v", err)
	}
	c.Close()
}

// haveIPv6 reports whether the host has an IPv6 loopback.
func haveIPv6() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// (a) Clients and the server exchange payloads of 1, 100 and 1200 bytes
// both ways: each client sends one or two a tick, the server echoes each
// one (ly_server_send) and broadcasts one every third tick. In 300 ticks
// the sequences of both sides pass 256 (two sequence bytes). Over IPv4,
// IPv6, a dual-stack socket (IPv4 clients as mapped addresses), two
// sockets (half the clients on each), and with batch_sends; fewer ticks
// with more clients, to keep the time down (under qemu too).
func TestTickEcho(t *testing.T) {
	skipUnlessTickC(t)
	v6 := func(c *cServerConfig) { c.bind_addresses = cString("[::1]:0") }
	dual := func(c *cServerConfig) {
		c.bind_addresses = cString("[::]:0")
		c.public_addresses = cString("127.0.0.1:0")
	}
	batch := func(c *cServerConfig) { c.batch_sends = 1 }
	two := func(c *cServerConfig) { c.bind_addresses = cString("127.0.0.1:0,127.0.0.2:0") }
	for _, tc := range []struct {
		name           string
		clients, ticks int
		cfg            func(*cServerConfig)
		ipv6           bool
	}{
		{"1client", 1, 300, nil, false},
		{"8clients", 8, 120, nil, false},
		{"8clients-batch-sends", 8, 120, batch, false},
		{"ipv6", 2, 300, v6, true},
		{"dual-stack", 2, 300, dual, true},
		{"two-sockets", 4, 150, two, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ipv6 && !haveIPv6() {
				t.Skip("no IPv6 loopback on this host")
			}
			if tc.name == "two-sockets" {
				skipWithout127002(t)
			}
			tickBoth(t, 0.9, tc.cfg, func(r *tickRun) {
				cs := r.connectNew(1, tc.clients)
				r.tick(nil) // the clients' first keep-alives confirm them
				r.mark()
				for k := range tc.ticks {
					r.tick(func() {
						for i, c := range cs {
							c.send(tickPayload('c', c.id, k, tickSizes[(k+i)%3]))
							if (k+i)%4 == 3 {
								c.send(tickPayload('d', c.id, k, tickSizes[(k+i+1)%3]))
							}
						}
						if k%3 == 1 {
							r.broadcast(tickPayload('b', 0, k, tickSizes[(k/3)%3]))
						}
					})
				}
				for _, c := range cs {
					if len(c.got) < tc.ticks*3/2 {
						t.Errorf("client %d received %d payloads in %d ticks", c.id, len(c.got), tc.ticks)
					}
				}
			})
		})
	}
}

// (b) 30 s of simulated silence: no payloads, only keep-alives, those of
// the server sent from C. The clients must stay connected (the
// keep-alives decrypt and pass their replay windows) and the server must
// time nobody out.
func TestTickSilence(t *testing.T) {
	on, _ := tickBoth(t, 0.95, nil, func(r *tickRun) {
		r.dt = 0.05
		cs := r.connectNew(1, 4)
		r.confirm()
		r.mark()
		events := len(r.tr.Events)
		for range 600 {
			r.tick(nil)
		}
		if n := len(r.tr.Events) - events; n != 0 {
			t.Errorf("%d events during the silence: %v", n, r.tr.Events[events:])
		}
		for _, c := range cs {
			if c.c.State() != core.StateConnected || !c.connected {
				t.Errorf("client %d: %v, connected at the server %v", c.id, c.c.State(), c.connected)
			}
		}
	})
	for id, st := range on.ClientStats {
		// A keep-alive every 0.1 s for 30 s.
		if st.PacketsReceived < 300 {
			t.Errorf("client %d received %d packets in 30 s", id, st.PacketsReceived)
		}
	}
}

// (c) Go calls between the C ticks, every few ticks, while payloads flow
// both ways: ly_server_stats, ly_server_client_stats and
// ly_server_connected_ids (each imports the state from C), sends
// through the Go export (which bypasses the C entries), an update
// through the Go export. A sequence or replay window lost between export
// and import shows as a payload lost or dropped as replayed, at either
// end. With batch_sends, also Go calls between the echoes (queued in C)
// and the flush: what C queued must not be lost.
func TestTickTransitions(t *testing.T) {
	skipUnlessTickC(t)
	t.Run("immediate-sends", func(t *testing.T) { tickTransitions(t, nil) })
	t.Run("batch-sends", func(t *testing.T) {
		tickTransitions(t, func(c *cServerConfig) { c.batch_sends = 1 })
	})
}

func tickTransitions(t *testing.T, cfg func(*cServerConfig)) {
	tickBoth(t, 0.3, cfg, func(r *tickRun) {
		cs := r.connectNew(1, 3)
		r.confirm()
		r.mark()
		if cfg != nil {
			r.beforeFlush = func() {
				switch r.step % 4 {
				case 1: // C's queued datagrams leave at this import, Go's at the flush: not noted
					mustOK(t, "ly_server_stats", ly__go_server_stats(r.srv, newStats()))
				case 3:
					st, rc := r.clientStats(cs[r.step%len(cs)])
					r.note("before the flush: %d %+v", rc, st)
				}
			}
		}
		ids := make([]cID, 8)
		for k := range 240 {
			r.tick(func() {
				for i, c := range cs {
					c.send(tickPayload('c', c.id, k, tickSizes[(k+i)%3]))
				}
			})
			c := cs[k%len(cs)]
			switch {
			case k%3 == 0:
				r.note("server %+v", r.serverStats())
			case k%5 == 1:
				st, rc := r.clientStats(c)
				r.note("client %d: %d %+v", c.id, rc, st)
			case k%7 == 2:
				n := ly__go_server_connected_ids(r.srv, &ids[0], cU32(len(ids)))
				if n != 3 {
					t.Errorf("step %d: ly_server_connected_ids: %d", r.step, n)
				}
			case k%11 == 3:
				p := tickPayload('g', 0, k, tickSizes[k%3])
				mustOK(t, "ly_server_send (Go export)", ly__go_server_send(r.srv, c.cid(), cbytes(p), cU32(len(p))))
				mustOK(t, "ly_server_flush", cServerFlush(r.srv)) // for batch_sends
				c.toIt = append(c.toIt, p)
			case k%13 == 4:
				r.updates++
				mustOK(t, "ly_server_update (Go export)", ly__go_server_update(r.srv, 0))
			}
		}
	})
}

// (d) A client connects while three others are steady and exchanging.
func TestTickJoin(t *testing.T) {
	tickBoth(t, 0.6, nil, func(r *tickRun) {
		cs := r.connectNew(1, 3)
		r.confirm()
		r.mark()
		late := r.newClient(4, 5)
		cs = append(cs, late)
		for k := range 150 {
			if k == 40 {
				if err := late.c.Connect(); err != nil {
					t.Fatal(err)
				}
			}
			r.tick(func() {
				for i, c := range cs {
					if c.c.State() == core.StateConnected {
						c.send(tickPayload('c', c.id, k, tickSizes[(k+i)%3]))
					}
				}
				if k%10 == 0 {
					r.broadcast(tickPayload('b', 0, k, 100))
				}
			})
		}
		if !late.connected || len(late.got) < 50 {
			t.Errorf("late client: connected %v, received %d payloads", late.connected, len(late.got))
		}
	})
}

// (e) A client disconnects (ten disconnect packets): the server reports
// it with the remote reason, and the others go on. Then the server
// disconnects another while the tick is in C (ly_server_disconnect): the
// client is told (its disconnect packets carry the sequences C got to).
func TestTickLeave(t *testing.T) {
	on, _ := tickBoth(t, 0.7, nil, func(r *tickRun) {
		cs := r.connectNew(1, 4)
		r.confirm()
		r.mark()
		for k := range 90 {
			r.tick(func() {
				for i, c := range cs {
					if c.c.State() == core.StateConnected {
						c.send(tickPayload('c', c.id, k, tickSizes[(k+i)%3]))
					}
				}
				if k == 40 {
					cs[1].c.Disconnect()
				}
			})
			if k == 60 {
				rc := ly__go_server_disconnect(r.srv, cs[3].cid())
				r.note("disconnect client 4: %d", rc)
				mustOK(t, "ly_server_disconnect", rc)
			}
		}
	})
	var got []string
	for _, e := range on.Events {
		if e.Type == evDisconnected {
			got = append(got, fmt.Sprintf("%d:%d", e.Client, e.Reason))
		}
	}
	if want := []string{fmt.Sprintf("2:%d", reasonRemote), fmt.Sprintf("4:%d", reasonLocal)}; !slices.Equal(got, want) {
		t.Errorf("disconnect events (client:reason) %v, want %v", got, want)
	}
	if _, ok := on.ServerSide[2]; ok || len(on.ServerSide) != 2 {
		t.Errorf("connected at the end: %v", on.ServerSide)
	}
	want := fmt.Sprintf("%v (%v)", core.StateDisconnected, core.ReasonRemote)
	if on.States[4] != want {
		t.Errorf("client 4 ended %s, want %s", on.States[4], want)
	}
}

// (f) A client goes silent (no longer updated), with a token timeout of
// 1 s: the server times it out after exactly 1 s of simulated time (20
// ticks of 0.05 s: the timeout is reached, not passed), at the same tick
// either way, and the others stay.
func TestTickTimeout(t *testing.T) {
	var frozeAt [2]int // the step of each run's last tick with the client
	on, _ := tickBoth(t, 0.8, nil, func(r *tickRun) {
		r.dt = 0.05
		cs := make([]*tickClient, 3)
		for i := range cs {
			cs[i] = r.newClient(uint64(i+1), 1)
		}
		r.connect(cs...)
		r.confirm()
		r.mark()
		for k := range 60 {
			if k == 10 {
				cs[2].frozen = true
				frozeAt[b2i(r.off)] = r.step - 1
			}
			r.tick(func() {
				for i, c := range cs {
					if !c.frozen {
						c.send(tickPayload('c', c.id, k, tickSizes[(k+i)%3]))
					}
				}
			})
		}
	})
	var got []tickEvent
	for _, e := range on.Events {
		if e.Type == evDisconnected {
			got = append(got, e)
		}
	}
	if len(got) != 1 || got[0].Client != 3 || got[0].Reason != reasonTimedOut {
		t.Fatalf("disconnect events %v, want one of client 3, reason %d (timed out)", got, reasonTimedOut)
	}
	// Its last payload was read in the tick before it froze.
	if frozeAt[0] != frozeAt[1] {
		t.Errorf("froze in step %d with the tick in C, %d in Go", frozeAt[0], frozeAt[1])
	}
	if d := got[0].Step - frozeAt[0]; d != 20 {
		t.Errorf("timed out %d ticks after its last packet, want 20 (1 s)", d)
	}
}

// (g) Hostile datagrams from a connected client's own address, five
// times: replays of a payload and of a keep-alive it sent (already
// received), its next payload with one bit flipped (a fresh sequence),
// that payload cut by a byte, with a forged sequence, cut to 12 bytes,
// garbage and an oversized datagram; then the intact payload, which the
// failures must not have marked as received, one more, and one of the
// other client's (so that valid datagrams of both are in the part of the
// batch C hands back to Go). Also garbage and a copy of the payload from
// an address that is no client's. Each hostile datagram is dropped and
// counted (the same counters either way), none is delivered, and the
// valid payloads arrive. Also with two sockets, the hostile client on
// the second.
func TestTickHostile(t *testing.T) {
	skipUnlessTickC(t)
	t.Run("one-socket", func(t *testing.T) { tickHostile(t, nil) })
	t.Run("two-sockets", func(t *testing.T) {
		skipWithout127002(t)
		tickHostile(t, func(c *cServerConfig) { c.bind_addresses = cString("127.0.0.1:0,127.0.0.2:0") })
	})
}

func tickHostile(t *testing.T, cfg func(*cServerConfig)) {
	on, _ := tickBoth(t, 0.7, cfg, func(r *tickRun) {
		cs := r.connectNew(1, 2)
		r.confirm()
		r.mark()
		v, other := cs[0], cs[1]
		to := v.c.ServerAddr()
		stranger, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(to))
		if err != nil {
			t.Fatal(err)
		}
		defer stranger.Close()
		for k := range 40 {
			r.tick(func() {
				for i, c := range cs {
					c.send(tickPayload('c', c.id, k, tickSizes[(k+i)%3]))
				}
			})
			if k%8 != 7 {
				continue
			}
			// The last payload and keep-alive v sent, read by the server.
			var payload, keepAlive []byte
			for _, d := range v.rec.sent {
				switch d[0] & 0xf {
				case 4:
					keepAlive = d
				case 5:
					payload = d
				}
			}
			if payload == nil || keepAlive == nil {
				t.Fatal("no payload or keep-alive captured")
			}
			r.tick(func() {
				v.rec.raw(t, to, payload)
				v.rec.raw(t, to, keepAlive)
				p := tickPayload('v', v.id, k, 100)
				v.rec.tamper = true
				if err := v.c.Send(p); err != nil || v.rec.held == nil {
					t.Fatalf("tampered send: %v", err)
				}
				intact := v.rec.held
				v.rec.held = nil
				v.rec.raw(t, to, intact[:len(intact)-1])
				// The same body under sequence 2^20 (three sequence bytes).
				forged := append([]byte{3<<4 | 5, 0, 0, 0x10}, intact[1+int(intact[0]>>4):]...)
				v.rec.raw(t, to, forged)
				v.rec.raw(t, to, intact[:12])
				v.rec.raw(t, to, bytes.Repeat([]byte{0xff, 0x5a}, 20))
				v.rec.raw(t, to, bytes.Repeat([]byte{0x15}, 1400))
				for _, d := range [][]byte{bytes.Repeat([]byte{0xff}, 30), intact} {
					if _, err := stranger.Write(d); err != nil {
						t.Fatal(err)
					}
					r.strangerWrites++
				}
				v.rec.raw(t, to, intact)
				v.sent = append(v.sent, p)
				v.send(tickPayload('w', v.id, k, 1200))
				other.send(tickPayload('o', other.id, k, 100))
			})
		}
	})
	want := statsRec{DroppedReplayed: 10, DroppedDecryptFailed: 15, DroppedMalformed: 10, DroppedOversized: 5}
	st := on.ServerSide[1]
	if st.DroppedReplayed != want.DroppedReplayed || st.DroppedDecryptFailed != want.DroppedDecryptFailed ||
		st.DroppedMalformed != want.DroppedMalformed || st.DroppedOversized != want.DroppedOversized {
		t.Errorf("the server's counters of the hostile client: %+v, want the drops of %+v", st, want)
	}
	if st := on.ServerSide[2]; st.DroppedReplayed+st.DroppedDecryptFailed+st.DroppedMalformed+st.DroppedOversized != 0 {
		t.Errorf("the server's counters of the other client: %+v", st)
	}
	if on.Server.DroppedUnknownAddress < 5 {
		t.Errorf("the server's counters: %+v, want the stranger's datagrams as unknown address", on.Server)
	}
}

// (h) A poll with a buffer too small returns LY_ERR_BUFFER_TOO_SMALL,
// describes the payload and keeps it queued for a retry with a big
// buffer; ly_server_poll_batch packs several payloads with offsets,
// stops before one that does not fit, and fails on the first only.
func TestTickPollBuffers(t *testing.T) {
	tickBoth(t, 0.3, nil, func(r *tickRun) {
		c := r.connectNew(1, 1)[0]
		r.confirm()
		r.mark()
		r.autoPoll = false
		var ev cEvent
		big := make([]byte, maxPayloadSize)
		small := make([]byte, 10)
		poll := func(buf []byte) cInt {
			rc := cServerPoll(r.srv, &ev, cbuf(buf), uint32(len(buf)))
			r.note("poll(%d): %d type %d client %d size %d", len(buf), rc, ev._type, ev.client.id, ev.payload_size)
			if rc == 1 && ev._type == evPayload {
				r.record(&ev, buf[:ev.payload_size])
			}
			return rc
		}
		evs := make([]cEvent, 8)
		batch := func(n uint32, buf []byte) cInt {
			rc := cServerPollBatch(r.srv, &evs[0], n, cbuf(buf), uint32(len(buf)))
			r.note("poll_batch(%d, %d): %d", n, len(buf), rc)
			if rc < 0 {
				r.note("  %d type %d size %d", rc, evs[0]._type, evs[0].payload_size)
			}
			for i := range max(int(rc), 0) {
				e := &evs[i]
				r.note("  type %d size %d offset %d", e._type, e.payload_size, e.payload_offset)
				r.record(e, buf[e.payload_offset:][:e.payload_size])
			}
			return rc
		}
		for round := range 3 {
			p := tickPayload('c', c.id, round, 100)
			r.tick(func() { c.send(p) })
			r.tick(nil) // the payload waits, unpolled
			if rc := poll(small); rc != errBufferTooSmall || ev._type != evPayload || ev.payload_size != 100 || uint64(ev.client.id) != c.id {
				t.Errorf("round %d: poll with 10 bytes: %d, event type %d size %d client %d; want %d (LY_ERR_BUFFER_TOO_SMALL), a payload of 100 bytes of client %d",
					round, rc, ev._type, ev.payload_size, ev.client.id, errBufferTooSmall, c.id)
			}
			if rc := poll(small); rc != errBufferTooSmall {
				t.Errorf("round %d: second poll with 10 bytes: %d", round, rc)
			}
			if rc := batch(4, small); rc != errBufferTooSmall || evs[0].payload_size != 100 {
				t.Errorf("round %d: poll_batch with 10 bytes: %d, size %d", round, rc, evs[0].payload_size)
			}
			if rc := poll(big); rc != 1 || !bytes.Equal(big[:ev.payload_size], p) {
				t.Errorf("round %d: poll with a big buffer: %d, %d bytes", round, rc, ev.payload_size)
			}
			if rc := poll(big); rc != 0 {
				t.Errorf("round %d: poll with nothing pending: %d", round, rc)
			}
			r.tick(nil)

			sizes := []int{1, 100, 1200, 50}
			r.tick(func() {
				for i, n := range sizes {
					c.send(tickPayload('c', c.id, 10*round+i, n))
				}
			})
			r.tick(nil)
			if rc := batch(8, make([]byte, 50)); rc != 1 { // 1 fits, 100 does not
				t.Errorf("round %d: poll_batch with 50 bytes: %d, want 1", round, rc)
			}
			if rc := batch(8, small); rc != errBufferTooSmall {
				t.Errorf("round %d: poll_batch with 10 bytes: %d", round, rc)
			}
			if rc := batch(8, make([]byte, 1301)); rc != 2 || evs[1].payload_offset != 100 { // 100 and 1200
				t.Errorf("round %d: poll_batch with 1301 bytes: %d, second offset %d", round, rc, evs[1].payload_offset)
			}
			if rc := batch(1, big); rc != 1 || evs[0].payload_size != 50 {
				t.Errorf("round %d: poll_batch of one: %d, size %d", round, rc, evs[0].payload_size)
			}
			if rc := batch(8, big); rc != 0 {
				t.Errorf("round %d: poll_batch with nothing pending: %d", round, rc)
			}
			r.tick(nil)
		}
		r.autoPoll = true
	})
}

// (i) Payloads queued in C, then a Go call (which takes them back from
// C), then a client connects (an event queued in Go): the poll returns
// the older payloads first.
func TestTickOrderAfterImport(t *testing.T) {
	on, _ := tickBoth(t, 0.1, nil, func(r *tickRun) {
		a := r.connectNew(1, 1)[0]
		r.confirm()
		r.mark()
		r.autoPoll = false
		for k := range 3 {
			r.tick(func() { a.send(tickPayload('c', a.id, k, tickSizes[k])) })
		}
		r.note("server %+v", r.serverStats())
		b := r.newClient(2, 5)
		if err := b.c.Connect(); err != nil {
			t.Fatal(err)
		}
		for k := 3; b.c.State() != core.StateConnected; k++ {
			if k == 300 {
				t.Fatalf("client 2: %v", b.c.State())
			}
			r.tick(func() { a.send(tickPayload('c', a.id, k, 100)) })
		}
		r.autoPoll = true
		r.pollAll()
	})
	if len(on.Events) < 6 {
		t.Fatalf("events %v", on.Events)
	}
	for i, e := range on.Events[1:4] { // after client 1's CONNECTED
		if e.Type != evPayload || e.Client != 1 || e.Payload[0] != 'c' || len(e.Payload) != tickSizes[i] {
			t.Errorf("event %d: %v, want client 1's payload %d", i+1, e, i)
		}
	}
}

// (j) Errors are the same either way: a send to an unknown client, of 0
// or 1201 bytes, to another kind of client; a broadcast of 0 or 1201
// bytes; polls with NULL arguments; an update with a bad dt. After each,
// the server ticks on.
func TestTickSendErrors(t *testing.T) {
	// Each refused call enters Go, and so does the update after it.
	tickBoth(t, 0.3, nil, func(r *tickRun) {
		c := r.connectNew(1, 1)[0]
		r.confirm()
		r.mark()
		p := tickPayload('c', 1, 0, 100)
		long := make([]byte, maxPayloadSize+1)
		calls := []struct {
			what string
			want cInt
			call func() cInt
		}{
			{"send to unknown", errUnknownClient, func() cInt { return cServerSend(r.srv, cID{id: 999, kind: cU32(core.KindNetcode)}, p) }},
			{"send to kind 2", errUnknownClient, func() cInt { return cServerSend(r.srv, cID{id: 1, kind: 2}, p) }},
			{"send 0 bytes", errPayloadSize, func() cInt { return cServerSend(r.srv, c.cid(), nil) }},
			{"send 1201 bytes", errPayloadSize, func() cInt { return cServerSend(r.srv, c.cid(), long) }},
			{"broadcast 0 bytes", errPayloadSize, func() cInt { return cServerBroadcast(r.srv, nil) }},
			{"broadcast 1201 bytes", errPayloadSize, func() cInt { return cServerBroadcast(r.srv, long) }},
			{"poll NULL event", errInvalidArgument, func() cInt { return cServerPoll(r.srv, nil, cbuf(p), 100) }},
			{"poll NULL buf", errInvalidArgument, func() cInt { var ev cEvent; return cServerPoll(r.srv, &ev, nil, 100) }},
			{"poll_batch NULL events", errInvalidArgument, func() cInt { return cServerPollBatch(r.srv, nil, 4, cbuf(p), 100) }},
			{"update -1", errInvalidArgument, func() cInt { r.updates++; return cServerUpdate(r.srv, -1) }},
			{"update NaN", errInvalidArgument, func() cInt { r.updates++; return cServerUpdate(r.srv, math.NaN()) }},
			{"update +Inf", errInvalidArgument, func() cInt { r.updates++; return cServerUpdate(r.srv, math.Inf(1)) }},
		}
		for k := range 3 {
			for _, call := range calls {
				rc := call.call()
				r.note("%s: %d", call.what, rc)
				if rc != call.want {
					t.Errorf("%s: %d, want %d", call.what, rc, call.want)
				}
				r.tick(func() { c.send(tickPayload('c', c.id, k, tickSizes[k])) })
			}
		}
	})
}

// (k) Stop, start again and destroy while the tick is in C: running and
// num_connected answer right at each point, the clients learn of the
// stop and of the destroy (the server's disconnect packets decrypt and
// pass their replay windows), and they reconnect after the restart.
func TestTickStopStartDestroy(t *testing.T) {
	on, _ := tickBoth(t, 0.5, nil, func(r *tickRun) {
		cs := r.connectNew(1, 2)
		exchange := func(n int) {
			for k := range n {
				r.tick(func() {
					for i, c := range cs {
						c.send(tickPayload('c', c.id, k, tickSizes[(k+i)%3]))
					}
				})
			}
		}
		waitGone := func(what string) {
			for i := 0; ; i++ {
				gone := true
				for _, c := range cs {
					if c.c.State() == core.StateConnected {
						gone = false
						waitReadable([]int{c.rec.fd}, 10*time.Millisecond)
						if err := c.c.Update(time.Duration(r.dt * 1e9)); err != nil {
							t.Fatal(err)
						}
						c.drain()
					}
				}
				if gone {
					break
				}
				if i == 30 {
					for _, c := range cs {
						t.Errorf("%s: client %d %v, dropped as replayed %d", what, c.id, c.c.State(), c.c.Stats().DroppedReplayed)
					}
					t.Fatalf("%s: the clients were not told", what)
				}
			}
			for _, c := range cs {
				r.note("%s: client %d %v (%v)", what, c.id, c.c.State(), c.c.DisconnectReason())
			}
		}
		exchange(30)
		r.mark()
		exchange(30)
		r.note("running %d, connected %d", cServerRunning(r.srv), cServerNumConnected(r.srv))
		if cServerRunning(r.srv) != 1 || cServerNumConnected(r.srv) != 2 {
			t.Errorf("steady: running %d, connected %d", cServerRunning(r.srv), cServerNumConnected(r.srv))
		}
		mustOK(t, "ly_server_stop", ly__go_server_stop(r.srv))
		r.updates++ // refused: not running
		r.note("stopped: running %d, connected %d, update %d", cServerRunning(r.srv), cServerNumConnected(r.srv), cServerUpdate(r.srv, r.dt))
		if cServerRunning(r.srv) != 0 || cServerNumConnected(r.srv) != 0 {
			t.Errorf("stopped: running %d, connected %d", cServerRunning(r.srv), cServerNumConnected(r.srv))
		}
		r.pollAll()
		waitGone("stop")

		mustOK(t, "ly_server_start", ly__go_server_start(r.srv))
		r.restarted()
		for _, c := range cs {
			if err := c.c.SetToken(r.token(c.id, 5)); err != nil {
				t.Fatal(err)
			}
		}
		r.connect(cs...)
		exchange(30)
		r.note("restarted: running %d, connected %d", cServerRunning(r.srv), cServerNumConnected(r.srv))
		if cServerRunning(r.srv) != 1 || cServerNumConnected(r.srv) != 2 {
			t.Errorf("restarted: running %d, connected %d", cServerRunning(r.srv), cServerNumConnected(r.srv))
		}
		r.checkShare()
		r.mark()
		r.minShare = 0 // only a refused update from here

		mustOK(t, "ly_server_destroy", ly__go_server_destroy(r.srv))
		r.destroyed = true
		r.updates++ // refused: no such handle
		r.note("destroyed: running %d, connected %d, update %d, send %d, poll %d",
			cServerRunning(r.srv), cServerNumConnected(r.srv), cServerUpdate(r.srv, r.dt),
			cServerSend(r.srv, cs[0].cid(), []byte{1}), cServerPollBatch(r.srv, &r.evs[0], 1, cbuf(r.buf), 10))
		if rc := cServerRunning(r.srv); rc != errInvalidHandle {
			t.Errorf("destroyed: running %d", rc)
		}
		if rc := cServerNumConnected(r.srv); rc != errInvalidHandle {
			t.Errorf("destroyed: num_connected %d", rc)
		}
		waitGone("destroy")
	})
	for id, st := range on.States {
		if st != fmt.Sprintf("%v (%v)", core.StateDisconnected, core.ReasonRemote) {
			t.Errorf("client %d ended %s", id, st)
		}
	}
	var stops int
	for _, e := range on.Events {
		if e.Type == evDisconnected && e.Reason == reasonServerStopped {
			stops++
		}
	}
	if stops != 2 {
		t.Errorf("%d disconnect events for the stop, want 2", stops)
	}
}

// A client sends more payloads than the server's event queue holds
// (1024 with max_clients 8) while the game does not poll: the same
// number are dropped and counted either way, however they are split
// between C's queue and Go's. And 1100 payloads of 1200 bytes with the
// default queue (2048): more than C's payload arena holds (1024 of
// them), none dropped either way.
func TestTickQueueFull(t *testing.T) {
	skipUnlessTickC(t)
	flood := func(n, size int) func(r *tickRun) {
		return func(r *tickRun) {
			c := r.connectNew(1, 1)[0]
			r.confirm()
			r.mark()
			r.autoPoll, r.lossy, r.echoing = false, true, false
			for k := 0; k*40 < n; k++ {
				r.tick(func() {
					for i := range min(40, n-40*k) {
						c.send(tickPayload('c', c.id, 40*k+i, size))
					}
				})
			}
			r.autoPoll = true
			r.pollAll()
		}
	}
	t.Run("queue", func(t *testing.T) {
		on, _ := tickBoth(t, 0.5, func(c *cServerConfig) { c.max_clients = 8 }, flood(1200, 10))
		if st := on.ServerSide[1]; st.DroppedQueueFull != 1200-1024 {
			t.Errorf("dropped for a full queue: %d, want %d", st.DroppedQueueFull, 1200-1024)
		}
	})
	t.Run("arena", func(t *testing.T) {
		on, _ := tickBoth(t, 0.5, nil, flood(1100, maxPayloadSize))
		if st := on.ServerSide[1]; st.DroppedQueueFull != 0 || len(on.Events) != 1101 {
			t.Errorf("%d events, dropped for a full queue: %d; want 1101 and none", len(on.Events), st.DroppedQueueFull)
		}
	})
}

// A game that polls a few events a tick and leaves the rest for the next
// keeps its tick in C: C's payload arena is a ring, so a queue that never
// empties does not run it out (1.44 MB of payloads go through a 1.2 MB
// arena here, 2 of 1200 bytes a tick, with a backlog of about 20).
func TestTickPartialPolls(t *testing.T) {
	tickBoth(t, 0.9, nil, func(r *tickRun) {
		cs := r.connectNew(1, 2)
		r.confirm()
		r.mark()
		r.autoPoll = false
		for k := range 610 {
			r.tick(func() {
				for _, c := range cs {
					c.send(tickPayload('c', c.id, k, maxPayloadSize))
				}
			})
			if k < 10 {
				continue // the backlog
			}
			n := cServerPollBatch(r.srv, &r.evs[0], 2, cbuf(r.buf), uint32(len(r.buf)))
			if n < 0 {
				t.Fatalf("tick %d: ly_server_poll_batch: %d", k, n)
			}
			for i := range int(n) {
				ev := &r.evs[i]
				r.record(ev, r.buf[ev.payload_offset:][:ev.payload_size])
			}
			r.echo()
		}
		r.autoPoll = true
		r.pollAll()
	})
}

// A hitch: the server's clock jumps 2.4 s in one update with nothing to
// read (its clients' 5 s timeouts not reached; a keep-alive to each),
// later 6 s (all of them time out in that update, together). The
// clients' clocks go on as usual.
func TestTickHitch(t *testing.T) {
	on, _ := tickBoth(t, 0.8, nil, func(r *tickRun) {
		cs := r.connectNew(1, 3)
		r.confirm()
		r.mark()
		for k := range 60 {
			if hitch, ok := map[int]float64{20: 2.4, 50: 6}[k]; ok {
				r.serverTick(hitch) // the server alone: nothing to read
				r.step++
				continue
			}
			r.tick(func() {
				for i, c := range cs {
					if c.connected {
						c.send(tickPayload('c', c.id, k, tickSizes[(k+i)%3]))
					}
				}
			})
		}
	})
	var out []uint64
	for _, e := range on.Events {
		if e.Type == evDisconnected && e.Reason == reasonTimedOut {
			out = append(out, e.Client)
		}
	}
	if len(out) != 3 {
		t.Errorf("timed out: %v, want the 3 clients", out)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// (l) One goroutine ticks (the clients, then update, poll, echo and flush
// through the C entries) while another calls ly_server_stats and
// ly_server_send in a loop, each call either answered in C or taking the
// state back to Go under its feet: nothing deadlocks, and every payload
// arrives once and in order at each end (the other goroutine's and the
// echoes, each in its own order). Under -race as well.
func TestTickConcurrent(t *testing.T) {
	skipUnlessTickC(t)
	defer tickOff.Store(false)
	t.Run("tick-on", func(t *testing.T) { tickConcurrent(t, false, time.Second) })
	t.Run("tick-off", func(t *testing.T) { tickConcurrent(t, true, time.Second/4) })
}

func tickConcurrent(t *testing.T, off bool, d time.Duration) {
	r := newTickRun(t, off, nil)
	cs := r.connectNew(1, 2)
	r.confirm()
	r.mark()
	watchdog := time.AfterFunc(30*time.Second, func() {
		buf := make([]byte, 1<<20)
		panic(fmt.Sprintf("TestTickConcurrent: stuck for 30 s\n%s", buf[:runtime.Stack(buf, true)]))
	})
	defer watchdog.Stop()

	// The other goroutine owns fromB until done is closed.
	fromB := make([][][]byte, len(cs))
	var ticks atomic.Int64
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		st := newStats()
		var tick, inTick int64
		for n := 0; !stop.Load(); n++ {
			// Two sends a tick at most, one to each client: the clients
			// read once a tick, and their queues (and socket buffers)
			// must not overflow.
			for inTick == 2 && !stop.Load() {
				if tk := ticks.Load(); tk != tick {
					tick, inTick = tk, 0
				} else {
					time.Sleep(20 * time.Microsecond)
				}
			}
			inTick++
			if n%2 == 0 {
				if rc := ly__go_server_stats(r.srv, st); rc != 0 {
					t.Errorf("ly_server_stats: %d", rc)
					return
				}
			}
			i := n % len(cs)
			p := tickPayload('B', cs[i].id, n, 100)
			if rc := cServerSend(r.srv, cs[i].cid(), p); rc != 0 {
				t.Errorf("ly_server_send from the other goroutine: %d", rc)
				return
			}
			fromB[i] = append(fromB[i], p)
		}
	}()
	dt := time.Duration(r.dt * 1e9)
	for k, start := 0, time.Now(); time.Since(start) < d; k++ {
		for i, c := range cs {
			if err := c.c.Update(dt); err != nil {
				t.Fatal(err)
			}
			c.drain()
			c.send(tickPayload('C', c.id, k, tickSizes[(k+i)%3]))
		}
		r.update(r.dt)
		r.pollAll() // echoes what it polls
		if rc := cServerFlush(r.srv); rc != 0 {
			t.Fatalf("ly_server_flush: %d", rc)
		}
		ticks.Add(1)
	}
	stop.Store(true)
	<-done

	// Everything still on its way, at an unchanged clock.
	deadline := time.Now().Add(5 * time.Second)
	for c := r.missing(); c != nil; c = r.missing() {
		if time.Now().After(deadline) {
			t.Fatalf("client %d sent %d payloads, the server polled %d", c.id, len(c.sent), len(c.atSrv))
		}
		waitReadable(r.fds, 10*time.Millisecond)
		r.update(0)
		r.pollAll()
	}
	mustOK(t, "ly_server_flush", cServerFlush(r.srv))
	for i, c := range cs {
		for len(c.got) < len(c.toIt)+len(fromB[i]) {
			if time.Now().After(deadline) {
				t.Fatalf("client %d received %d payloads, the server sent it %d", c.id, len(c.got), len(c.toIt)+len(fromB[i]))
			}
			waitReadable([]int{c.rec.fd}, 10*time.Millisecond)
			if err := c.c.Update(0); err != nil {
				t.Fatal(err)
			}
			c.drain()
		}
	}

	n := uint64(r.updates - r.markUpdates)
	h, g := tickHits()-r.markHits, goServerUpdates.Load()-r.markGo
	if h+g != n || (off && h != 0) {
		t.Errorf("%d updates: %d answered in C and %d entered Go", n, h, g)
	}
	t.Logf("%d ticks; %d updates answered in C, %d in Go; the other goroutine sent %d payloads",
		ticks.Load(), h, g, len(fromB[0])+len(fromB[1]))
	for i, c := range cs {
		var echoes, others [][]byte
		for _, p := range c.got {
			if p[0] == 'B' {
				others = append(others, p)
			} else {
				echoes = append(echoes, p)
			}
		}
		if !samePayloads(c.atSrv, c.sent) {
			t.Errorf("client %d: the server polled %s, it sent %s", c.id, describe(c.atSrv), describe(c.sent))
		}
		if !samePayloads(echoes, c.toIt) {
			t.Errorf("client %d: echoes received %s, sent %s", c.id, describe(echoes), describe(c.toIt))
		}
		if !samePayloads(others, fromB[i]) {
			t.Errorf("client %d: the other goroutine's payloads received %s, sent %s", c.id, describe(others), describe(fromB[i]))
		}
		if st := c.c.Stats(); st.DroppedReplayed != 0 || st.DroppedDecryptFailed != 0 || st.DroppedQueueFull != 0 {
			t.Errorf("client %d dropped packets of the server: %+v", c.id, st)
		}
	}
}

// The datagrams a CONTINUE hands back (transport.UDP.Requeue) are read by
// the Go update that finishes it. Another thread's Go call that publishes
// (ly_server_poll, _poll_batch, _flush) may run between the C half and
// that Go update; the mirror must then stay Go's until the requeue is
// read, or a C update would read the socket past those datagrams and hand
// the game a payload the client sent later first.
func TestTickRequeueNotOvertaken(t *testing.T) {
	skipUnlessTickC(t)
	defer tickOff.Store(false)
	r := newTickRun(t, false, nil)
	r.echoing = false
	cs := r.connectNew(1, 1)
	r.confirm()
	c := cs[0]

	p1 := bytes.Repeat([]byte{'1'}, 40)
	p2 := bytes.Repeat([]byte{'2'}, 40)

	// A datagram C does not take (type 15), then P1, from the client.
	c.rec.raw(t, r.addrs[0], []byte{0xFF, 1, 2, 3})
	if err := c.c.Send(p1); err != nil {
		t.Fatal(err)
	}
	waitReadable(r.fds, 100*time.Millisecond)
	time.Sleep(5 * time.Millisecond)

	// Thread A: the C half of ly_server_update hands both back.
	if rc := tickUpdateOnly(r.srv, r.dt); rc != 2 {
		t.Fatalf("ly__tick_update: %d, want LY__TICK_CONTINUE", rc)
	}
	// Thread B, before A's Go half gets the handle's lock: a poll (Go
	// path, the mirror is DIRTY) imports, finds no event, publishes.
	var ev cEvent
	buf := make([]byte, 1500)
	if rc := cServerPoll(r.srv, &ev, cbuf(buf), uint32(len(buf))); rc != 0 {
		t.Fatalf("poll: %d", rc)
	}
	// The client sends P2; a C update (thread B again) reads it, past P1.
	if err := c.c.Send(p2); err != nil {
		t.Fatal(err)
	}
	waitReadable(r.fds, 100*time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	h0 := tickHits()
	for i := 0; i < 5; i++ {
		if rc := cServerUpdate(r.srv, 0); rc != 0 {
			t.Fatalf("update: %d", rc)
		}
	}
	t.Logf("updates answered in C meanwhile: %d", tickHits()-h0)
	// Thread A's Go half at last.
	if rc := ly__go_server_update(r.srv, 0); rc != 0 {
		t.Fatalf("go update: %d", rc)
	}
	var got [][]byte
	for {
		n := cServerPoll(r.srv, &ev, cbuf(buf), uint32(len(buf)))
		if n != 1 {
			break
		}
		got = append(got, bytes.Clone(buf[:ev.payload_size]))
	}
	if len(got) != 2 || !bytes.Equal(got[0], p1) || !bytes.Equal(got[1], p2) {
		t.Errorf("the game polled %s, the client sent P1 then P2", describe(got))
	}
}

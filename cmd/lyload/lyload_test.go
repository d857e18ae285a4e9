//go:build linux

package main

import (
	"encoding/binary"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// TestMain lets the test binary play the client process: runOne re-executes
// os.Executable(), which under go test is this binary.
func TestMain(m *testing.M) {
	for i, a := range os.Args {
		if a == "-role" && i+1 < len(os.Args) && os.Args[i+1] == "clients" {
			for j, b := range os.Args {
				if b == "-childcfg" && j+1 < len(os.Args) {
					childMain(os.Args[j+1])
				}
			}
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two processes over UDP loopback for about 3 s")
	}
	var runs []Result
	for _, mode := range []string{"ours", "floor"} {
		r, err := runOne(runConfig{Mode: mode, N: 20, Rate: 30, Payload: 100, Duration: time.Second, Tick: time.Second / 60})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		runs = append(runs, *r)
		t.Logf("%s: %.2f us/packet, rx %d tx %d, delivered %d/%d, p50/p90/p99 %.0f/%.0f/%.0f us, connect %.1f ms, heap/client %.0f B",
			mode, r.CPUPerPacketUs, r.ServerRx, r.ServerTx, r.Delivered, r.Sent, r.P50us, r.P90us, r.P99us, r.ConnectMs, r.MemPerClient)
		// 20 clients x 30 Hz x 1 s, give or take the schedule's edges.
		if r.Sent < 500 || r.Sent > 700 {
			t.Errorf("%s: clients sent %d payloads, want about 600", mode, r.Sent)
		}
		if r.Delivered != r.Sent || r.Lost != 0 {
			t.Errorf("%s: delivered %d of %d on loopback", mode, r.Delivered, r.Sent)
		}
		if !(r.P50us > 0 && r.P50us <= r.P90us && r.P90us <= r.P99us && r.P99us <= r.MaxUs) {
			t.Errorf("%s: percentiles out of order: %v %v %v %v", mode, r.P50us, r.P90us, r.P99us, r.MaxUs)
		}
		if r.MaxUs > 1e6 {
			t.Errorf("%s: a round trip took %.0f us on loopback", mode, r.MaxUs)
		}
		// The server opens its window up to one tick after the clients
		// start, so it may miss the first few payloads.
		if r.ServerRx < r.Sent*9/10 || r.ServerTx < r.Delivered*9/10 {
			t.Errorf("%s: server counted %d rx %d tx for %d echoed payloads", mode, r.ServerRx, r.ServerTx, r.Delivered)
		}
		if r.CPUPerPacketUs <= 0 || r.ConnectMs <= 0 {
			t.Errorf("%s: cpu/packet %v, connect %v ms", mode, r.CPUPerPacketUs, r.ConnectMs)
		}
		if mode == "ours" && r.MemPerClient <= 0 {
			t.Errorf("heap per client %v", r.MemPerClient)
		}
		checkPerTick(t, mode, r, "lyload")
	}
	if rs := ratios(runs); len(rs) != 1 || rs[0].Ratio <= 0 {
		t.Errorf("ratios: %+v", rs)
	}
	png := filepath.Join(t.TempDir(), "chart.png")
	if err := writeChart(png, "test", append(seriesFrom(runs), series{Name: "peer", X: []float64{20}, Y: []float64{1}})); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() < 1000 {
		t.Errorf("chart: %v %v", fi, err)
	}
}

// TestPeer runs the peer (netcode-official, built with cargo) against our
// clients: 300 of them, so over two of its servers (256 clients at most each).
func TestPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the peer with cargo and runs two processes over UDP loopback")
	}
	if _, err := exec.LookPath("cargo"); err != nil {
		t.Skip("no cargo to build the peer")
	}
	bin, err := findPeerBin("")
	if err != nil {
		t.Fatal(err)
	}
	peerBin = bin
	r, err := runOne(runConfig{Mode: "peer", N: 300, Rate: 10, Payload: 100, Duration: time.Second, Tick: time.Second / 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peer: %.2f us/payload, %.0f payloads/CPU-s, rx %d tx %d, delivered %d/%d, p50/p99 %.0f/%.0f us, connect %.1f ms, heap/client %.0f B, rss/client %.0f B",
		r.CPUPerPayloadUs, r.PayloadsPerCPUSec, r.PayloadsRx, r.PayloadsTx, r.Delivered, r.Sent, r.P50us, r.P99us, r.ConnectMs, r.MemPerClient, r.RSSPerClient)
	if r.PeerServers != 2 {
		t.Errorf("peer ran %d servers for 300 clients, want 2", r.PeerServers)
	}
	if r.Sent < 2500 || r.Sent > 3500 || r.Delivered != r.Sent {
		t.Errorf("clients sent %d (want about 3000), got %d back", r.Sent, r.Delivered)
	}
	if r.PayloadsRx < r.Sent*9/10 || r.PayloadsTx < r.Delivered*9/10 || r.PayloadsTx > r.PayloadsRx {
		t.Errorf("peer counted %d rx %d tx payloads for %d echoed", r.PayloadsRx, r.PayloadsTx, r.Delivered)
	}
	if r.CPUPerPayloadUs <= 0 || r.ServerCPUSec <= 0 || r.WindowSec < 1 || r.MemPerClient <= 0 || r.ConnectMs <= 0 {
		t.Errorf("cpu/payload %v, cpu %v s, window %v s, heap/client %v, connect %v ms",
			r.CPUPerPayloadUs, r.ServerCPUSec, r.WindowSec, r.MemPerClient, r.ConnectMs)
	}
	checkPerTick(t, "peer", r, "own")
	rs := ratios([]Result{{Mode: "ours", Clients: 300, PayloadsPerCPUSec: 3 * r.PayloadsPerCPUSec}, *r,
		{Mode: "ours-c", Clients: 300, PayloadsPerCPUSec: 2 * r.PayloadsPerCPUSec}})
	if len(rs) != 1 || rs[0].Ratio != 0 || math.Abs(rs[0].OursOverPeer-3) > 1e-9 || math.Abs(rs[0].OursCOverPeer-2) > 1e-9 {
		t.Errorf("ratios: %+v", rs)
	}
}

// checkPerTick checks the per-tick figures of a run with a 60 Hz tick: the
// ticks counted fit the window, and CPU and context switches were seen.
func checkPerTick(t *testing.T, mode string, r *Result, process string) {
	t.Helper()
	t.Logf("%s: %d ticks in %.2f s, %.1f us CPU, %.2f + %.2f context switches per tick",
		mode, r.ServerTicks, r.WindowSec, r.CPUPerTickUs, r.VolCSPerTick, r.InvolCSPerTick)
	if r.ServerProcess != process {
		t.Errorf("%s: server process %q, want %q", mode, r.ServerProcess, process)
	}
	// A loop that fell behind skips ticks rather than catching up, so
	// fewer is possible on a loaded machine; more is not.
	if want := r.WindowSec * 60; float64(r.ServerTicks) > want*1.1+2 || float64(r.ServerTicks) < want/3 {
		t.Errorf("%s: %d ticks in a %.2f s window at 60 Hz", mode, r.ServerTicks, r.WindowSec)
	}
	if r.CPUPerTickUs <= 0 || math.Abs(r.CPUPerTickUs*float64(r.ServerTicks)/1e6-r.ServerCPUSec) > 1e-9 {
		t.Errorf("%s: %v us CPU per tick over %d ticks, %v s in all", mode, r.CPUPerTickUs, r.ServerTicks, r.ServerCPUSec)
	}
	// Every tick sleeps until the next one: voluntary switches.
	if r.ServerVolCS == 0 || r.VolCSPerTick != float64(r.ServerVolCS)/float64(r.ServerTicks) {
		t.Errorf("%s: %d voluntary context switches (%v per tick)", mode, r.ServerVolCS, r.VolCSPerTick)
	}
}

// oursCOrSkip finds the ours-c server, or skips when it is not built.
func oursCOrSkip(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs two processes over UDP loopback")
	}
	bin, err := findOursCBin("")
	if err != nil {
		t.Skipf("ours-c not built: %v", err)
	}
	oursCBin = bin
}

// TestOursC runs our server driven from C (bench/c/lyload_server.c, built
// by CMake) against the same clients as ours.
func TestOursC(t *testing.T) {
	oursCOrSkip(t)
	r, err := runOne(runConfig{Mode: "ours-c", N: 20, Rate: 30, Payload: 100, Duration: time.Second, Tick: time.Second / 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ours-c: %.2f us/packet, %.2f us/payload, rx %d tx %d, delivered %d/%d, p50/p99 %.0f/%.0f us, connect %.1f ms, rss/client %.0f B",
		r.CPUPerPacketUs, r.CPUPerPayloadUs, r.ServerRx, r.ServerTx, r.Delivered, r.Sent, r.P50us, r.P99us, r.ConnectMs, r.RSSPerClient)
	if r.Sent < 500 || r.Sent > 700 || r.Delivered != r.Sent || r.Lost != 0 {
		t.Errorf("clients sent %d (want about 600), got %d back", r.Sent, r.Delivered)
	}
	// Its own counts: payloads from its loop, packets from ly_server_stats
	// (keep-alives too, so at least the payloads).
	if r.PayloadsRx < r.Sent*9/10 || r.PayloadsTx != r.PayloadsRx {
		t.Errorf("ours-c counted %d rx %d tx payloads for %d echoed", r.PayloadsRx, r.PayloadsTx, r.Delivered)
	}
	if r.ServerRx < r.PayloadsRx || r.ServerTx < r.PayloadsTx {
		t.Errorf("ours-c counted %d rx %d tx packets for %d rx %d tx payloads", r.ServerRx, r.ServerTx, r.PayloadsRx, r.PayloadsTx)
	}
	if r.CPUPerPacketUs <= 0 || r.CPUPerPayloadUs < r.CPUPerPacketUs || r.WindowSec < 1 || r.ConnectMs <= 0 {
		t.Errorf("cpu/packet %v, cpu/payload %v, window %v s, connect %v ms", r.CPUPerPacketUs, r.CPUPerPayloadUs, r.WindowSec, r.ConnectMs)
	}
	if !(r.P50us > 0 && r.P50us <= r.P99us && r.MaxUs < 1e6) {
		t.Errorf("round trips p50 %v p99 %v max %v us", r.P50us, r.P99us, r.MaxUs)
	}
	checkPerTick(t, "ours-c", r, "own")
}

// TestIdle: with no clients every in-process and C server still ticks for
// T, and counts nothing but its ticks' cost.
func TestIdle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two processes")
	}
	modes := []string{"ours", "floor"}
	if _, err := findOursCBin(""); err == nil {
		oursCOrSkip(t)
		modes = append(modes, "ours-c")
	}
	for _, mode := range modes {
		r, err := runOne(runConfig{Mode: mode, N: 0, Rate: 60, Payload: 100, Duration: 500 * time.Millisecond, Tick: time.Second / 60})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if r.Sent != 0 || r.Delivered != 0 || r.PayloadsRx+r.PayloadsTx != 0 || r.MemPerClient != 0 || r.CPUPerPayloadUs != 0 {
			t.Errorf("%s idle: %+v", mode, r)
		}
		// The window is T and the clients' 300 ms drain.
		if r.WindowSec < 0.75 || r.WindowSec > 5 {
			t.Errorf("%s idle: window %.2f s for T = 0.5 s", mode, r.WindowSec)
		}
		checkPerTick(t, mode, r, map[bool]string{true: "own", false: "lyload"}[mode == "ours-c"])
	}
}

// TestBroadcastEnds: with -broadcast the clients send nothing, and the run
// still ends after T (it used to wait for sends that never came).
func TestBroadcastEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two processes over UDP loopback")
	}
	start := time.Now()
	r, err := runOne(runConfig{Mode: "ours", N: 5, Rate: 30, Payload: 100, Duration: 500 * time.Millisecond, Tick: time.Second / 60, Broadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("a 0.5 s broadcast run took %v", el)
	}
	// The last broadcast may leave after the clients stopped counting.
	if r.Sent < 5*10 || r.Delivered < r.Sent-2*5 || r.Delivered > r.Sent {
		t.Errorf("broadcast: %d delivered of %d", r.Delivered, r.Sent)
	}
}

// TestSyscalls counts the C server's system calls by kind with strace: it
// reads its socket at least once a tick (recvmmsg) and sleeps once a tick
// (clock_nanosleep). Skipped without strace or where ptrace is refused.
func TestSyscalls(t *testing.T) {
	oursCOrSkip(t)
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("no strace")
	}
	r, err := runOne(runConfig{Mode: "ours-c", N: 5, Rate: 30, Payload: 100, Duration: 500 * time.Millisecond, Tick: time.Second / 60, Syscalls: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.SyscallsByKind == nil {
		t.Skipf("strace could not count: %s", r.SyscallsNote)
	}
	t.Logf("%.2f syscalls per tick over %d ticks: %s", r.SyscallsPerTick, r.ServerTicks, syscallSummary(r))
	// strace attaches before the window opens and detaches after it ends.
	for _, k := range []string{"recvmmsg", "clock_nanosleep"} {
		if n := r.SyscallsByKind[k]; n < r.ServerTicks*9/10 {
			t.Errorf("%d %s calls in %d ticks", n, k, r.ServerTicks)
		}
	}
}

func TestParseStraceSummary(t *testing.T) {
	const out = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 55.10    0.000540           4       120        60 recvmmsg
 30.61    0.000300           2       118           sendmmsg
 14.29    0.000140          70         2           futex
------ ----------- ----------- --------- --------- ----------------
100.00    0.000980           4       240        60 total
`
	got, err := parseStraceSummary([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"recvmmsg": 120, "sendmmsg": 118, "futex": 2}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d, want %d", k, got[k], v)
		}
	}
	if _, err := parseStraceSummary([]byte("strace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted\n")); err == nil {
		t.Error("no table, no error")
	}
}

// The floor server's tick reads everything queued, batch after batch,
// until the socket is empty, and allocates nothing; the floor client's
// update reads every echo.
func TestFloorReadsUntilEmpty(t *testing.T) {
	const queued = 200 // over three read batches of 64
	f, err := newFloorServer()
	if err != nil {
		t.Fatal(err)
	}
	defer f.stop()
	sock, err := openRawSock(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	c2s, _ := chacha20poly1305.New(f.c2sK)
	s2c, _ := chacha20poly1305.New(f.s2cK)
	c := &floorClient{sock: sock, server: f.addr(), seal: c2s, open: s2c}
	defer c.close()
	if err := c.connect(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < queued; i++ {
		if err := c.send([]byte("payload")); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.tick(0, nil); err != nil {
		t.Fatal(err)
	}
	if rx, tx := f.counts(); rx != queued+1 || tx != queued+1 {
		t.Fatalf("one tick read %d and answered %d of %d datagrams", rx, tx, queued+1)
	}
	got := 0
	c.update(time.Time{}, func([]byte) { got++ })
	if !c.handshook || got != queued {
		t.Fatalf("client read %d echoes (handshook %v), want %d", got, c.handshook, queued)
	}

	// A known peer's datagrams, sent from a socket that allocates nothing.
	tr, err := transport.ListenUDP(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	msgs := make([]transport.Message, 64)
	var nonce [12]byte
	for i := range msgs {
		buf := make([]byte, transport.MaxDatagram)
		binary.LittleEndian.PutUint64(buf, uint64(i+1))
		copy(nonce[4:], buf[:8])
		out := c2s.Seal(buf[8:8], nonce[:], []byte("payload"), nil)
		msgs[i] = transport.Message{Buf: buf, N: 8 + len(out), Addr: f.addr()}
	}
	if _, err := tr.WriteBatch(msgs[:1]); err != nil {
		t.Fatal(err)
	}
	if err := f.tick(0, nil); err != nil { // learns the peer
		t.Fatal(err)
	}
	rx := make([]transport.Message, 64)
	for i := range rx {
		rx[i].Buf = make([]byte, transport.MaxDatagram)
	}
	drain := func() {
		for {
			if n, err := tr.ReadBatch(rx); n == 0 || err != nil {
				return
			}
		}
	}
	drain()
	allocs := testing.AllocsPerRun(20, func() {
		for range 3 {
			tr.WriteBatch(msgs)
		}
		f.tick(0, nil)
		drain()
	})
	if allocs != 0 {
		t.Fatalf("a tick of 192 datagrams allocates %v times", allocs)
	}
}

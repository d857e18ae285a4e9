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
	rs := ratios([]Result{{Mode: "ours", Clients: 300, PayloadsPerCPUSec: 3 * r.PayloadsPerCPUSec}, *r})
	if len(rs) != 1 || rs[0].Ratio != 0 || math.Abs(rs[0].OursOverPeer-3) > 1e-9 {
		t.Errorf("ratios: %+v", rs)
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

package main

// The peer: netcode-official (crates.io, the upstream Rust port of netcode.io,
// which nobody here wrote) serving the same clients under the same load, in
// its own process: bindings/rust/lightyear-conn-interop/src/bin/
// netcode-peer-server.rs. It measures its own CPU over the window this
// process opens ("mark") and closes ("report"), as runOne does for ours.
//
// It cannot count keep-alives (its server keeps no packet counters), so the
// ours/peer comparison counts, for both servers, only payload packets: the
// payloads the server's loop received plus those it sent, in the window, by
// the server's own count.
//
// The same protocol drives "ours-c" (bench/c/lyload_server.c): our server
// driven from C through the public API, in its own process. It has packet
// counters, so it reports those too. Both report their ticks and context
// switches over the window.

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

const peerBinName = "netcode-peer-server"

// peerBin is the peer binary runOne starts in mode "peer" (main sets it from
// findPeerBin, once).
var peerBin string

// findPeerBin returns the peer server binary: explicit if given, else built
// with cargo from this repository's bindings/rust. If the build fails but an
// earlier build exists, that one is used with a warning on stderr.
func findPeerBin(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", err
		}
		return explicit, nil
	}
	cargo, err := exec.LookPath("cargo")
	if err != nil {
		return "", fmt.Errorf("cargo not found (needed to build the peer, or pass -peer-bin): %w", err)
	}
	dir, err := rustDir()
	if err != nil {
		return "", err
	}
	target := filepath.Join(dir, "target")
	if t := os.Getenv("CARGO_TARGET_DIR"); t != "" {
		target = t
		if !filepath.IsAbs(t) {
			target = filepath.Join(dir, t)
		}
	}
	bin := filepath.Join(target, "release", peerBinName)
	cmd := exec.Command(cargo, "build", "--release", "-q", "-p", "lightyear-conn-interop", "--bin", peerBinName)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	if berr := cmd.Run(); berr != nil {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("cargo build of the peer in %s: %w", dir, berr)
		}
		fmt.Fprintf(os.Stderr, "lyload: warning: cargo build of the peer failed (%v); using the existing %s\n", berr, bin)
	}
	return bin, nil
}

// rustDir finds bindings/rust: above the working directory, else relative
// to this source file (go run and go test keep that path).
func rustDir() (string, error) {
	const rel = "bindings/rust"
	ok := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, rel, "lightyear-conn-interop", "Cargo.toml"))
		return err == nil
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if ok(d) {
				return filepath.Join(d, rel), nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, file, _, found := runtime.Caller(0); found {
		if d := filepath.Join(filepath.Dir(file), "..", ".."); ok(d) {
			return filepath.Join(d, rel), nil
		}
	}
	return "", errors.New("cannot find bindings/rust (run lyload from the repository, or pass -peer-bin)")
}

// peerMsg is one line the peer (or ours-c) writes on stdout.
type peerMsg struct {
	Type      string   `json:"type"` // "ready", "progress", "report"
	Addrs     []string `json:"addrs"`
	PerServer int      `json:"per_server"`

	RX         uint64 `json:"rx"`
	TX         uint64 `json:"tx"`
	CPUNs      uint64 `json:"cpu_ns"`
	WindowNs   uint64 `json:"window_ns"`
	Broadcasts uint64 `json:"broadcasts"`
	AtMark     int    `json:"connected_at_mark"`
	Connected  int    `json:"connected"`
	Servers    int    `json:"servers"`
	RSSBefore  uint64 `json:"rss_before_bytes"`
	RSS        uint64 `json:"rss_bytes"`
	HeapBefore uint64 `json:"heap_before_bytes"`
	Heap       uint64 `json:"heap_bytes"`
	Ticks      uint64 `json:"ticks"`
	NVCSW      uint64 `json:"nvcsw"`
	NIVCSW     uint64 `json:"nivcsw"`
	// Ours-c only: the server's packet counters (ly_server_stats).
	PacketsRX *uint64 `json:"packets_rx"`
	PacketsTX *uint64 `json:"packets_tx"`
}

// peerServer is the echoServer face of a server in its own process: the
// peer, or ours-c (name says which). Its tick does nothing (the process
// runs its own loop) but notice the process dying.
type peerServer struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	addrs  []netip.AddrPort
	report chan peerMsg
	exited chan struct{}
	rx, tx atomic.Uint64 // payloads so far, from its progress lines
}

func newPeerServer(name, bin string, rc runConfig, key netcode.Key) (*peerServer, error) {
	args := []string{"--protocol-id", strconv.FormatUint(protocolID, 10), "--key", hex.EncodeToString(key[:]),
		"--clients", strconv.Itoa(rc.N), "--tick-us", strconv.FormatInt(rc.Tick.Microseconds(), 10),
		"--payload", strconv.Itoa(rc.Payload)}
	if rc.Broadcast {
		args = append(args, "--broadcast-hz", strconv.Itoa(rc.Rate))
	}
	if rc.Unbatched && name == "ours-c" {
		args = append(args, "--unbatched")
	}
	p := &peerServer{name: name, cmd: exec.Command(bin, args...), report: make(chan peerMsg, 1), exited: make(chan struct{})}
	p.cmd.Stderr = os.Stderr
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.stdin = stdin
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan peerMsg, 1)
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m peerMsg
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			switch m.Type {
			case "ready":
				ready <- m
			case "progress":
				p.rx.Store(m.RX)
				p.tx.Store(m.TX)
			case "report":
				p.report <- m
			}
		}
	}()
	select {
	case m := <-ready:
		for _, a := range m.Addrs {
			ap, err := netip.ParseAddrPort(a)
			if err != nil {
				p.stop()
				return nil, fmt.Errorf("%s address %q: %w", p.name, a, err)
			}
			p.addrs = append(p.addrs, ap)
		}
		if len(p.addrs) == 0 {
			p.stop()
			return nil, fmt.Errorf("%s reported no address", p.name)
		}
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%s server exited at start: %v", p.name, p.cmd.Wait())
	case <-time.After(10 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s server did not start in 10 s", p.name)
	}
}

func (p *peerServer) addr() netip.AddrPort { return p.addrs[0] }

func (p *peerServer) addrStrings() []string {
	s := make([]string, len(p.addrs))
	for i, a := range p.addrs {
		s[i] = a.String()
	}
	return s
}

func (p *peerServer) tick(time.Duration, []byte) error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s server exited: %v", p.name, p.cmd.Wait())
	default:
		return nil
	}
}

func (p *peerServer) counts() (uint64, uint64)   { return p.rx.Load(), p.tx.Load() }
func (p *peerServer) payloads() (uint64, uint64) { return p.counts() }

func (p *peerServer) stop() {
	p.cmd.Process.Kill()
	p.cmd.Wait()
}

func (p *peerServer) mark() error {
	_, err := p.stdin.Write([]byte("mark\n"))
	return err
}

// finish closes the peer's window and puts its figures in res in place of
// the ones runOne measured in this process.
func (p *peerServer) finish(res *Result) error {
	if _, err := p.stdin.Write([]byte("report\n")); err != nil {
		return err
	}
	var m peerMsg
	select {
	case m = <-p.report:
	case <-p.exited:
		return fmt.Errorf("%s server exited before its report: %v", p.name, p.cmd.Wait())
	case <-time.After(10 * time.Second):
		return fmt.Errorf("no report from the %s server in 10 s", p.name)
	}
	if m.AtMark != res.Clients || m.Connected != res.Clients {
		return fmt.Errorf("%s had %d clients connected at the start of the window and %d at the end, want %d",
			p.name, m.AtMark, m.Connected, res.Clients)
	}
	res.WindowSec, res.ServerCPUSec = float64(m.WindowNs)/1e9, float64(m.CPUNs)/1e9
	res.ServerRx, res.ServerTx, res.ServerRxPerSec, res.ServerTxPerSec, res.CPUPerPacketUs = 0, 0, 0, 0, 0
	if m.PacketsRX != nil && m.PacketsTX != nil {
		res.ServerRx, res.ServerTx = *m.PacketsRX, *m.PacketsTX
		res.ServerRxPerSec, res.ServerTxPerSec = float64(res.ServerRx)/res.WindowSec, float64(res.ServerTx)/res.WindowSec
		if n := res.ServerRx + res.ServerTx; n > 0 {
			res.CPUPerPacketUs = res.ServerCPUSec * 1e6 / float64(n)
		}
	} // else (the peer) its packet counts are unknown: only payloads are counted
	setPayloads(res, m.RX, m.TX)
	if res.Broadcast {
		res.Sent = m.Broadcasts * uint64(res.Clients)
		res.Lost = int64(res.Sent) - int64(res.Delivered)
	}
	if p.name == "peer" {
		res.PeerServers = m.Servers
	}
	res.ServerTicks, res.ServerVolCS, res.ServerInvolCS = m.Ticks, m.NVCSW, m.NIVCSW
	if res.Clients > 0 {
		if m.HeapBefore > 0 { // the peer: malloc's bytes in use; ours-c cannot see its Go heap
			res.MemPerClient = (float64(m.Heap) - float64(m.HeapBefore)) / float64(res.Clients)
		}
		res.RSSPerClient = (float64(m.RSS) - float64(m.RSSBefore)) / float64(res.Clients)
	}
	return nil
}

// setPayloads fills the payload figures from the window's payload counts and
// res.ServerCPUSec.
func setPayloads(res *Result, rx, tx uint64) {
	res.PayloadsRx, res.PayloadsTx = rx, tx
	if n := rx + tx; n > 0 && res.ServerCPUSec > 0 {
		res.CPUPerPayloadUs = res.ServerCPUSec * 1e6 / float64(n)
		res.PayloadsPerCPUSec = float64(n) / res.ServerCPUSec
	}
}

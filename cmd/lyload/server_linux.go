package main

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/unix"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

const protocolID = 0x6c796c6f6164 // "lyload"

// runConfig is one run's shape.
type runConfig struct {
	Mode      string
	N         int
	Rate      int
	Payload   int
	Duration  time.Duration
	Tick      time.Duration
	Broadcast bool
	Unbatched bool      // ours, ours-c: write each Send at once instead of BatchSends + Flush
	Syscalls  bool      // count the server process's system calls with strace
	Progress  io.Writer // nil: quiet
}

// Result is one run's measurements; it is also the JSON schema (-json).
type Result struct {
	Mode      string  `json:"mode"` // "ours", "ours-c", "floor" or "peer"
	Clients   int     `json:"clients"`
	RateHz    int     `json:"rate_hz"`
	Payload   int     `json:"payload_bytes"`
	Seconds   float64 `json:"seconds"`
	TickHz    float64 `json:"server_tick_hz"`
	Broadcast bool    `json:"broadcast"`

	ConnectMs float64 `json:"connect_all_ms"`

	WindowSec      float64 `json:"window_s"`
	ServerCPUSec   float64 `json:"server_cpu_s"`
	ServerRx       uint64  `json:"server_packets_received"`
	ServerTx       uint64  `json:"server_packets_sent"`
	ServerRxPerSec float64 `json:"server_rx_per_s"`
	ServerTxPerSec float64 `json:"server_tx_per_s"`
	CPUPerPacketUs float64 `json:"server_cpu_per_packet_us"` // 0 for the peer: it counts no packets

	// Per tick of the server's loop over the window: the ticks it ran, and
	// the server process's CPU and context switches (getrusage RUSAGE_SELF:
	// ru_nvcsw, ru_nivcsw) over them. ServerProcess says whose process:
	// "lyload" (ours, floor: the server shares it with lyload's own
	// bookkeeping, which these figures include) or "own" (ours-c, peer).
	ServerProcess   string            `json:"server_process"`
	ServerTicks     uint64            `json:"server_ticks"`
	CPUPerTickUs    float64           `json:"server_cpu_per_tick_us"`
	ServerVolCS     uint64            `json:"server_voluntary_ctx_switches"`
	ServerInvolCS   uint64            `json:"server_involuntary_ctx_switches"`
	VolCSPerTick    float64           `json:"server_voluntary_ctx_switches_per_tick"`
	InvolCSPerTick  float64           `json:"server_involuntary_ctx_switches_per_tick"`
	SyscallsPerTick float64           `json:"server_syscalls_per_tick,omitempty"`
	SyscallsByKind  map[string]uint64 `json:"server_syscalls,omitempty"` // -syscalls: calls in the window, by kind
	SyscallsNote    string            `json:"server_syscalls_note,omitempty"`

	// Payload packets only, the measure ours and the peer are compared on
	// (see peer_linux.go): payloads the server's loop received (ours:
	// EventPayload events) plus those it sent (ours: Sends that returned nil;
	// broadcast: one per connected client) in the window, by the server's
	// own count. For the floor every packet in the window is a payload.
	PayloadsRx        uint64  `json:"server_payloads_received"`
	PayloadsTx        uint64  `json:"server_payloads_sent"`
	CPUPerPayloadUs   float64 `json:"server_cpu_per_payload_us"`
	PayloadsPerCPUSec float64 `json:"server_payloads_per_cpu_s"`

	Sent      uint64  `json:"client_sent"`     // payloads the clients sent (broadcast: the server sent × clients)
	Delivered uint64  `json:"client_received"` // payloads that came back
	Lost      int64   `json:"lost"`
	P50us     float64 `json:"p50_us"`
	P90us     float64 `json:"p90_us"`
	P99us     float64 `json:"p99_us"`
	MaxUs     float64 `json:"max_us"`

	// MemPerClient is the server's HeapInuse after every client connected
	// minus before the server was made, over N (bytes). Ours, and the peer,
	// where it is malloc's bytes in use (glibc mallinfo2) measured the same
	// way; RSSPerClient is the peer's resident set measured the same way.
	MemPerClient float64 `json:"server_heap_per_client_bytes,omitempty"`
	RSSPerClient float64 `json:"server_rss_per_client_bytes,omitempty"`
	// PeerServers is how many netcode-official servers (256 clients at
	// most each) the peer ran in its one thread.
	PeerServers int `json:"peer_servers,omitempty"`
}

// echoServer is what the load runs against: our netcode server or the floor.
type echoServer interface {
	addr() netip.AddrPort
	// tick runs one server tick: receive, echo (or broadcast), send.
	tick(dt time.Duration, broadcast []byte) error
	counts() (rx, tx uint64)
	// payloads counts payload packets only (see Result.PayloadsRx).
	payloads() (rx, tx uint64)
	stop()
}

type oursServer struct {
	s        *netcode.Server
	ev       core.Event
	prx, ptx uint64 // payloads received and sent
}

func newOursServer(n int, key netcode.Key, unbatched bool) (*oursServer, error) {
	s, err := netcode.NewServer(netcode.ServerConfig{
		ProtocolID: protocolID, PrivateKey: key,
		Addresses:  []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")},
		MaxClients: max(n, 1),
		BatchSends: !unbatched,
	})
	if err != nil {
		return nil, err
	}
	if err := s.Start(); err != nil {
		return nil, err
	}
	return &oursServer{s: s}, nil
}

func (o *oursServer) addr() netip.AddrPort { return o.s.LocalAddrs()[0] }

func (o *oursServer) tick(dt time.Duration, broadcast []byte) error {
	if err := o.s.Update(dt); err != nil {
		return err
	}
	if broadcast != nil {
		o.ptx += uint64(o.s.NumConnected()) // the Broadcast below: one each
	}
	for o.s.PollEvent(&o.ev) {
		if o.ev.Type == core.EventPayload {
			o.prx++
			if broadcast == nil {
				if err := o.s.Send(o.ev.Client, o.ev.Payload); err != nil {
					return err
				}
				o.ptx++
			}
		}
	}
	if broadcast != nil {
		if err := o.s.Broadcast(broadcast); err != nil {
			return err
		}
	}
	// Like a game server: the tick's sends leave together.
	return o.s.Flush()
}

func (o *oursServer) counts() (uint64, uint64) {
	st := o.s.Stats()
	return st.PacketsReceived, st.PacketsSent
}

func (o *oursServer) payloads() (uint64, uint64) { return o.prx, o.ptx }

func (o *oursServer) stop() { o.s.Stop() }

// floorServer is a bare UDP echo on transport.UDP doing the same AEAD work
// per packet as netcode (open what arrives, seal what leaves) and nothing
// else: no handshake, no replay window, no connection table beyond the
// address set a broadcast needs. Replies are batched into one sendmmsg per
// receive batch, the best a server can do on these sockets.
type floorServer struct {
	u          *transport.UDP
	c2s, s2c   cipherAEAD
	rx, tx     [64]transport.Message
	rxb, txb   [64][transport.MaxDatagram]byte
	nonce      [12]byte
	seq        uint64
	nrx, ntx   uint64
	peers      map[netip.AddrPort]struct{}
	peerList   []netip.AddrPort
	c2sK, s2cK []byte
}

type cipherAEAD interface {
	Seal(dst, nonce, plaintext, additional []byte) []byte
	Open(dst, nonce, ciphertext, additional []byte) ([]byte, error)
}

func newFloorServer() (*floorServer, error) {
	u, err := transport.ListenUDP(netip.MustParseAddrPort("127.0.0.1:0"))
	if err != nil {
		return nil, err
	}
	f := &floorServer{u: u, peers: map[netip.AddrPort]struct{}{}}
	f.c2sK, f.s2cK = make([]byte, 32), make([]byte, 32)
	rand.Read(f.c2sK)
	rand.Read(f.s2cK)
	a, _ := chacha20poly1305.New(f.c2sK)
	b, _ := chacha20poly1305.New(f.s2cK)
	f.c2s, f.s2c = a, b
	for i := range f.rx {
		f.rx[i].Buf = f.rxb[i][:]
		f.tx[i].Buf = f.txb[i][:]
	}
	return f, nil
}

func (f *floorServer) addr() netip.AddrPort { return f.u.LocalAddr() }

func (f *floorServer) sealTo(i int, p []byte, to netip.AddrPort) {
	f.seq++
	binary.LittleEndian.PutUint64(f.txb[i][:8], f.seq)
	copy(f.nonce[4:], f.txb[i][:8])
	out := f.s2c.Seal(f.txb[i][8:8], f.nonce[:], p, nil)
	f.tx[i].N = 8 + len(out)
	f.tx[i].Addr = to
}

// tick reads until the socket is empty: a read of 0, or ReadDrained (a
// short batch alone does not say so; see transport.Transport), answering
// each batch with one write.
func (f *floorServer) tick(_ time.Duration, broadcast []byte) error {
	for {
		n, err := f.u.ReadBatch(f.rx[:])
		if err != nil {
			return err
		}
		f.nrx += uint64(n)
		out := 0
		for i := 0; i < n; i++ {
			b := f.rx[i].Buf[:f.rx[i].N]
			if len(b) < 8+chacha20poly1305.Overhead {
				continue
			}
			copy(f.nonce[4:], b[:8])
			p, err := f.c2s.Open(b[8:8], f.nonce[:], b[8:], nil)
			if err != nil {
				continue
			}
			from := f.rx[i].Addr
			if _, ok := f.peers[from]; !ok {
				f.peers[from] = struct{}{}
				f.peerList = append(f.peerList, from)
			} else if broadcast != nil {
				continue
			}
			f.sealTo(out, p, from)
			out++
		}
		if out > 0 {
			if _, err := f.u.WriteBatch(f.tx[:out]); err != nil {
				return err
			}
			f.ntx += uint64(out)
		}
		if n == 0 || f.u.ReadDrained() {
			break
		}
	}
	if broadcast != nil {
		for i := 0; i < len(f.peerList); i += len(f.tx) {
			m := min(len(f.tx), len(f.peerList)-i)
			for j := 0; j < m; j++ {
				f.sealTo(j, broadcast, f.peerList[i+j])
			}
			if _, err := f.u.WriteBatch(f.tx[:m]); err != nil {
				return err
			}
			f.ntx += uint64(m)
		}
	}
	return nil
}

func (f *floorServer) counts() (uint64, uint64)   { return f.nrx, f.ntx }
func (f *floorServer) payloads() (uint64, uint64) { return f.nrx, f.ntx }
func (f *floorServer) stop()                      { f.u.Close() }

// usage is this process's CPU time and context switches so far.
type usage struct {
	cpu           time.Duration
	nvcsw, nivcsw uint64
}

func usageNow() usage {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return usage{time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), uint64(ru.Nvcsw), uint64(ru.Nivcsw)}
}

// setPerTick fills the per-tick figures from the window's totals.
func setPerTick(res *Result) {
	if t := float64(res.ServerTicks); t > 0 {
		res.CPUPerTickUs = res.ServerCPUSec * 1e6 / t
		res.VolCSPerTick = float64(res.ServerVolCS) / t
		res.InvolCSPerTick = float64(res.ServerInvolCS) / t
		if res.SyscallsByKind != nil {
			var n uint64
			for _, c := range res.SyscallsByKind {
				n += c
			}
			res.SyscallsPerTick = float64(n) / t
		}
	}
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// runOne runs the server here and the clients in a second process.
func runOne(rc runConfig) (*Result, error) {
	if rc.Payload < 8 || rc.Payload > netcode.MaxPayloadSize {
		return nil, fmt.Errorf("payload must be 8..%d bytes (it carries an 8-byte send time)", netcode.MaxPayloadSize)
	}
	if rc.N < 0 || rc.Rate < 1 || rc.Duration <= 0 || rc.Tick <= 0 {
		return nil, fmt.Errorf("rate, duration and tick must be positive, clients 0 or more")
	}
	heapBefore := heapInuse()
	cc := childConfig{Mode: rc.Mode, ProtocolID: protocolID, N: rc.N, Rate: rc.Rate, Payload: rc.Payload,
		Duration: rc.Duration, Broadcast: rc.Broadcast}
	var srv echoServer
	switch rc.Mode {
	case "ours":
		key, err := netcode.GenerateKey()
		if err != nil {
			return nil, err
		}
		o, err := newOursServer(rc.N, key, rc.Unbatched)
		if err != nil {
			return nil, err
		}
		srv, cc.Key = o, key[:]
	case "floor":
		f, err := newFloorServer()
		if err != nil {
			return nil, err
		}
		srv, cc.Key, cc.S2CKey = f, f.c2sK, f.s2cK
	case "peer", "ours-c":
		key, err := netcode.GenerateKey()
		if err != nil {
			return nil, err
		}
		bin := peerBin
		if rc.Mode == "ours-c" {
			bin = oursCBin
		}
		if bin == "" {
			return nil, fmt.Errorf("no %s binary (findPeerBin, findOursCBin)", rc.Mode)
		}
		p, err := newPeerServer(rc.Mode, bin, rc, key)
		if err != nil {
			return nil, err
		}
		srv, cc.Key, cc.Servers = p, key[:], p.addrStrings()
	default:
		return nil, fmt.Errorf("unknown mode %q", rc.Mode)
	}
	defer srv.stop()
	cc.Server = srv.addr().String()
	cfgJSON, _ := json.Marshal(cc)

	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-role", "clients", "-childcfg", string(cfgJSON))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	msgs := make(chan childMsg, 16)
	go func() {
		defer close(msgs)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m childMsg
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				msgs <- m
			}
		}
	}()

	res := &Result{Mode: rc.Mode, Clients: rc.N, RateHz: rc.Rate, Payload: rc.Payload,
		Seconds: rc.Duration.Seconds(), TickHz: float64(time.Second) / float64(rc.Tick), Broadcast: rc.Broadcast,
		ServerProcess: "lyload"}
	serverPid := os.Getpid()
	if p, ok := srv.(*peerServer); ok {
		res.ServerProcess, serverPid = "own", p.cmd.Process.Pid
	}
	var trace *straceRun
	defer func() {
		if trace != nil { // a run that failed inside the window
			trace.stop()
		}
	}()
	var (
		bcast                []byte
		nextBcast            time.Time
		bcasts               uint64
		winStart             time.Time
		use0                 usage
		ticks, ticks0        uint64
		rx0, tx0             uint64
		prx0, ptx0           uint64
		lastRx, lastTx       uint64
		lastProg             childMsg
		sending              bool
		nextPrint            = time.Now().Add(time.Second)
		started              = time.Now()
		last                 = time.Now()
		next                 = last
		bcastPeriod          = time.Second / time.Duration(rc.Rate)
		bcastBuf             = make([]byte, rc.Payload)
		overallDeadline      = time.Now().Add(rc.Duration + 60*time.Second)
		progressLineInterval = time.Second
	)
	for {
		next = next.Add(rc.Tick)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		} else if d < -rc.Tick {
			next = time.Now() // fell behind: do not try to catch up
		}
		now := time.Now()
		bcast = nil
		if sending && rc.Broadcast && !now.Before(nextBcast) {
			binary.LittleEndian.PutUint64(bcastBuf[:8], uint64(now.UnixNano()))
			bcast = bcastBuf
			bcasts++
			nextBcast = nextBcast.Add(bcastPeriod)
		}
		if err := srv.tick(now.Sub(last), bcast); err != nil {
			return nil, err
		}
		last = now
		ticks++
		done := false
	drain:
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					return nil, fmt.Errorf("client process ended early: %v", cmd.Wait())
				}
				switch m.Type {
				case "error":
					return nil, fmt.Errorf("client process: %s", m.Err)
				case "connected":
					res.ConnectMs = m.ConnectMs
					if rc.Mode == "ours" && rc.N > 0 {
						res.MemPerClient = (float64(heapInuse()) - float64(heapBefore)) / float64(rc.N)
					}
					if rc.Syscalls {
						// Attached before the window opens, so that it
						// sees the whole window.
						if trace, err = startStrace(serverPid); err != nil {
							res.SyscallsNote = "not counted: " + err.Error()
							trace = nil
						}
					}
					winStart, use0, ticks0 = time.Now(), usageNow(), ticks
					rx0, tx0 = srv.counts()
					prx0, ptx0 = srv.payloads()
					if p, ok := srv.(*peerServer); ok {
						if err := p.mark(); err != nil {
							return nil, err
						}
					}
					lastRx, lastTx = rx0, tx0
					sending, nextBcast = true, time.Now()
				case "progress":
					lastProg = m
				case "done":
					use := usageNow()
					cpu := use.cpu - use0.cpu
					rx, tx := srv.counts()
					win := time.Since(winStart).Seconds()
					res.WindowSec, res.ServerCPUSec = win, cpu.Seconds()
					// The tick that read "done" is in the window.
					res.ServerTicks = ticks - ticks0
					res.ServerVolCS, res.ServerInvolCS = use.nvcsw-use0.nvcsw, use.nivcsw-use0.nivcsw
					if trace != nil {
						// Detached before an out-of-process server is
						// told to report (and exits).
						calls, err := trace.stop()
						if err != nil {
							res.SyscallsNote = "not counted: " + err.Error()
						} else {
							res.SyscallsByKind = calls
							res.SyscallsNote = "strace -c -f -p: tracing slows the server, so this run's CPU figures are inflated"
						}
						trace = nil
					}
					res.ServerRx, res.ServerTx = rx-rx0, tx-tx0
					res.ServerRxPerSec, res.ServerTxPerSec = float64(res.ServerRx)/win, float64(res.ServerTx)/win
					if res.ServerRx+res.ServerTx > 0 {
						res.CPUPerPacketUs = cpu.Seconds() * 1e6 / float64(res.ServerRx+res.ServerTx)
					}
					res.Sent, res.Delivered = m.Sent, m.Recv
					if rc.Broadcast {
						res.Sent = bcasts * uint64(rc.N)
					}
					res.Lost = int64(res.Sent) - int64(res.Delivered)
					res.P50us, res.P90us, res.P99us, res.MaxUs = m.P50us, m.P90us, m.P99us, m.MaxUs
					prx, ptx := srv.payloads()
					setPayloads(res, prx-prx0, ptx-ptx0)
					if p, ok := srv.(*peerServer); ok {
						if err := p.finish(res); err != nil {
							return nil, err
						}
					}
					setPerTick(res)
					done = true
				}
				if done {
					break drain
				}
			default:
				break drain
			}
		}
		if done {
			break
		}
		if rc.Progress != nil && !now.Before(nextPrint) {
			rx, tx := srv.counts()
			el := now.Sub(started).Seconds()
			if sending {
				fmt.Fprintf(rc.Progress, "  %-5s N=%d t=%4.1fs  server rx %7.0f/s tx %7.0f/s  clients sent %d got %d\n",
					rc.Mode, rc.N, el, float64(rx-lastRx)/progressLineInterval.Seconds(), float64(tx-lastTx)/progressLineInterval.Seconds(), lastProg.Sent, lastProg.Recv)
			} else {
				fmt.Fprintf(rc.Progress, "  %-5s N=%d t=%4.1fs  connecting...\n", rc.Mode, rc.N, el)
			}
			lastRx, lastTx = rx, tx
			nextPrint = nextPrint.Add(progressLineInterval)
		}
		if now.After(overallDeadline) {
			return nil, fmt.Errorf("run did not finish in time")
		}
	}
	return res, nil
}

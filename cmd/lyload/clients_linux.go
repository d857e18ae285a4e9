package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// childConfig is what the server process hands the client process, as JSON
// in the hidden -childcfg flag.
type childConfig struct {
	Mode       string        `json:"mode"` // "ours", "ours-c", "floor" or "peer"
	Server     string        `json:"server"`
	Servers    []string      `json:"servers,omitempty"` // peer: client i connects to Servers[i%len]
	ProtocolID uint64        `json:"protocol_id"`
	Key        []byte        `json:"key"`     // netcode private key (ours) or client-to-server key (floor)
	S2CKey     []byte        `json:"s2c_key"` // floor only
	N          int           `json:"n"`
	Rate       int           `json:"rate"`
	Payload    int           `json:"payload"`
	Duration   time.Duration `json:"duration"`
	Broadcast  bool          `json:"broadcast"`
}

// childMsg is one line the client process writes on stdout.
type childMsg struct {
	Type      string  `json:"type"` // "connected", "progress", "done", "error"
	ConnectMs float64 `json:"connect_ms,omitempty"`
	Sent      uint64  `json:"sent"`
	Recv      uint64  `json:"recv"`
	P50us     float64 `json:"p50_us,omitempty"`
	P90us     float64 `json:"p90_us,omitempty"`
	P99us     float64 `json:"p99_us,omitempty"`
	MaxUs     float64 `json:"max_us,omitempty"`
	Err       string  `json:"err,omitempty"`
}

// simClient is one simulated client, whichever the protocol.
type simClient interface {
	connect() error
	connected() (bool, error)
	// update reads what arrived and calls got for every payload.
	update(now time.Time, got func([]byte))
	send(payload []byte) error
	close()
}

// ncClient is a netcode client on a rawSock.
type ncClient struct {
	c    *netcode.Client
	last time.Time
}

func (c *ncClient) connect() error { c.last = time.Now(); return c.c.Connect() }

func (c *ncClient) connected() (bool, error) {
	s := c.c.State()
	if s.IsError() || s == core.StateDisconnected {
		return false, fmt.Errorf("client %v: %v (%v)", c.c.ID(), s, c.c.DisconnectReason())
	}
	return s == core.StateConnected, nil
}

func (c *ncClient) update(now time.Time, got func([]byte)) {
	dt := now.Sub(c.last)
	if dt < 0 {
		dt = 0
	}
	c.last = now
	_ = c.c.Update(dt)
	for {
		p, ok := c.c.Receive()
		if !ok {
			return
		}
		got(p)
	}
}

func (c *ncClient) send(p []byte) error { return c.c.Send(p) }
func (c *ncClient) close()              { c.c.Close() }

// floorClient speaks no protocol: an 8-byte counter, then the payload sealed
// with ChaCha20-Poly1305 (nonce: four zero bytes and the counter).
type floorClient struct {
	sock       *rawSock
	server     netip.AddrPort
	seal, open interface {
		Seal(dst, nonce, plaintext, additional []byte) []byte
		Open(dst, nonce, ciphertext, additional []byte) ([]byte, error)
	}
	seq       uint64
	nonce     [12]byte
	rx        [16]transport.Message
	rxb       [16][transport.MaxDatagram]byte
	tx        [1]transport.Message
	txb       [transport.MaxDatagram]byte
	hello     bool
	handshook bool
}

func (c *floorClient) connect() error {
	for i := range c.rx {
		c.rx[i].Buf = c.rxb[i][:]
	}
	c.hello = true
	return c.send([]byte("hello, floor"))
}

func (c *floorClient) connected() (bool, error) { return c.handshook, nil }

// update reads until the socket is empty (a read of 0, or ReadDrained)
// or fails.
func (c *floorClient) update(now time.Time, got func([]byte)) {
	for {
		n, err := c.sock.ReadBatch(c.rx[:])
		for i := 0; i < n; i++ {
			b := c.rx[i].Buf[:c.rx[i].N]
			if len(b) < 8+chacha20poly1305.Overhead {
				continue
			}
			copy(c.nonce[4:], b[:8])
			p, err := c.open.Open(b[8:8], c.nonce[:], b[8:], nil)
			if err != nil {
				continue
			}
			if !c.handshook {
				c.handshook = true
				continue
			}
			got(p)
		}
		if n == 0 || err != nil || c.sock.ReadDrained() {
			return
		}
	}
}

func (c *floorClient) send(p []byte) error {
	c.seq++
	binary.LittleEndian.PutUint64(c.txb[:8], c.seq)
	copy(c.nonce[4:], c.txb[:8])
	out := c.seal.Seal(c.txb[8:8], c.nonce[:], p, nil)
	c.tx[0] = transport.Message{Buf: c.txb[:], N: 8 + len(out), Addr: c.server}
	_, err := c.sock.WriteBatch(c.tx[:])
	return err
}

func (c *floorClient) close() { c.sock.Close() }

func runClientsRole(cfgJSON string, out io.Writer) error {
	var cfg childConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	emit := func(m childMsg) {
		b, _ := json.Marshal(m)
		w.Write(b)
		w.WriteByte('\n')
		w.Flush()
	}
	err := driveClients(cfg, emit)
	if err != nil {
		emit(childMsg{Type: "error", Err: err.Error()})
	}
	return err
}

// driveClients runs every client from one loop: connect them all, then send
// on a staggered schedule (client i's sends are offset by i/N of a period),
// waking on epoll for replies, then drain, then report.
func driveClients(cfg childConfig, emit func(childMsg)) error {
	server, err := netip.ParseAddrPort(cfg.Server)
	if err != nil {
		return err
	}
	ep, err := newEpoller()
	if err != nil {
		return err
	}
	defer ep.close()

	clients := make([]simClient, cfg.N)
	closeClients := true
	defer func() {
		if !closeClients {
			return
		}
		for _, c := range clients {
			if c != nil {
				c.close()
			}
		}
	}()
	start := time.Now()
	switch cfg.Mode {
	case "ours", "ours-c", "peer": // the same netcode clients against any of them
		key, err := netcode.KeyFromBytes(cfg.Key)
		if err != nil {
			return err
		}
		servers := []netip.AddrPort{server}
		if len(cfg.Servers) > 0 {
			servers = servers[:0]
			for _, a := range cfg.Servers {
				ap, err := netip.ParseAddrPort(a)
				if err != nil {
					return err
				}
				servers = append(servers, ap)
			}
		}
		for i := range clients {
			tag := i
			nc, err := netcode.NewManualClient(servers[i%len(servers)], uint64(i+1), cfg.ProtocolID, key, netcode.ClientConfig{
				Dial: func(netip.AddrPort) (transport.Transport, error) { return openRawSock(ep, tag) },
			})
			if err != nil {
				return err
			}
			clients[i] = &ncClient{c: nc}
		}
	case "floor":
		c2s, err := chacha20poly1305.New(cfg.Key)
		if err != nil {
			return err
		}
		s2c, err := chacha20poly1305.New(cfg.S2CKey)
		if err != nil {
			return err
		}
		for i := range clients {
			s, err := openRawSock(ep, i)
			if err != nil {
				return err
			}
			clients[i] = &floorClient{sock: s, server: server, seal: c2s, open: s2c}
		}
	default:
		return fmt.Errorf("unknown mode %q", cfg.Mode)
	}

	// Connect.
	for _, c := range clients {
		if err := c.connect(); err != nil {
			return err
		}
	}
	isUp := make([]bool, cfg.N)
	up := 0
	ignore := func([]byte) {}
	var ready []int
	lastAll := time.Time{}
	deadline := start.Add(30 * time.Second)
	for up < cfg.N {
		ready = ep.wait(1, ready[:0])
		now := time.Now()
		for _, i := range ready {
			clients[i].update(now, ignore)
		}
		all := now.Sub(lastAll) >= 5*time.Millisecond
		if all {
			lastAll = now
		}
		for i, c := range clients {
			if isUp[i] {
				continue
			}
			if all {
				c.update(now, ignore)
			}
			ok, err := c.connected()
			if err != nil {
				return err
			}
			if ok {
				isUp[i] = true
				up++
			}
		}
		if now.After(deadline) {
			return fmt.Errorf("only %d of %d clients connected in 30 s", up, cfg.N)
		}
		if cfg.Mode == "floor" && all && up < cfg.N {
			for i, c := range clients { // UDP may drop a hello: resend
				if !isUp[i] && now.Sub(start) > 100*time.Millisecond {
					c.send([]byte("hello, floor"))
				}
			}
		}
	}
	connectTime := time.Since(start)
	emit(childMsg{Type: "connected", ConnectMs: float64(connectTime.Microseconds()) / 1000})

	// Exchange.
	var sent, recv uint64
	samples := make([]int32, 0, cfg.N*cfg.Rate*int(cfg.Duration/time.Second+1))
	var now time.Time
	got := func(p []byte) {
		recv++
		if len(p) >= 8 {
			d := now.UnixNano() - int64(binary.LittleEndian.Uint64(p[:8]))
			if d < 0 {
				d = 0
			}
			samples = append(samples, int32(min(d/1000, 1<<31-1)))
		}
	}
	payload := make([]byte, cfg.Payload)
	for i := 8; i < len(payload); i++ {
		payload[i] = byte(i)
	}
	sendStart := time.Now()
	const drain = 300 * time.Millisecond
	var step time.Duration
	if cfg.N > 0 {
		step = time.Second / time.Duration(cfg.Rate) / time.Duration(cfg.N)
	}
	nextProgress := sendStart.Add(time.Second)
	k, total := 0, cfg.N*cfg.Rate*int(cfg.Duration/time.Millisecond)/1000
	if cfg.Broadcast {
		total = 0 // the clients only listen
	}
	var lastSend, lastSweep time.Time
	for {
		now = time.Now()
		if !cfg.Broadcast {
			// At most 64 sends between two looks at the sockets, so that a
			// loop running late still reads its echoes promptly.
			for burst := 0; burst < 64; burst++ {
				due := sendStart.Add(time.Duration(k) * step)
				if due.After(now) || k >= total {
					break
				}
				c := clients[k%cfg.N]
				binary.LittleEndian.PutUint64(payload[:8], uint64(time.Now().UnixNano()))
				if c.send(payload) == nil {
					sent++
				}
				k++
			}
		}
		// Sending ends with the schedule and never before T, so that a run
		// whose clients send nothing (no clients, or -broadcast) lasts T.
		if k >= total && lastSend.IsZero() && !now.Before(sendStart.Add(cfg.Duration)) {
			lastSend = now
		}
		if !lastSend.IsZero() && now.After(lastSend.Add(drain)) {
			break
		}
		if !now.Before(nextProgress) {
			emit(childMsg{Type: "progress", Sent: sent, Recv: recv})
			nextProgress = nextProgress.Add(time.Second)
		}
		timeout := 0
		if next := sendStart.Add(time.Duration(k) * step); cfg.Broadcast || k >= total {
			timeout = 5
		} else if d := next.Sub(now); d > time.Millisecond {
			timeout = int(d / time.Millisecond)
		}
		ready = ep.wait(timeout, ready[:0])
		now = time.Now()
		for _, i := range ready {
			now = time.Now()
			clients[i].update(now, got)
		}
		// Every client's clock and keep-alives move at least every 250 ms
		// even if nothing arrives for it.
		if now.Sub(lastSweep) >= 250*time.Millisecond {
			lastSweep = now
			for _, c := range clients {
				now = time.Now()
				c.update(now, got)
			}
		}
	}
	sort.Slice(samples, func(a, b int) bool { return samples[a] < samples[b] })
	pct := func(q float64) float64 {
		if len(samples) == 0 {
			return 0
		}
		return float64(samples[min(len(samples)-1, int(q*float64(len(samples))))])
	}
	m := childMsg{Type: "done", Sent: sent, Recv: recv, P50us: pct(0.50), P90us: pct(0.90), P99us: pct(0.99)}
	if len(samples) > 0 {
		m.MaxUs = float64(samples[len(samples)-1])
	}
	// The process exits right after this, and the kernel closes the
	// sockets: graceful disconnects (ten packets per netcode client) would
	// reach the server while it is still measuring.
	closeClients = false
	emit(m)
	return nil
}

func childMain(cfgJSON string) {
	if err := runClientsRole(cfgJSON, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "lyload clients:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

package main

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

const protocolID = 0x6c79736f616b // "lysoak"

// tokenLifetime is the tokens' expire - create, told to the server too:
// its restart rule refuses tokens expiring sooner than its first start
// plus that lifetime.
const tokenLifetime = 30 * time.Second

// runPhase is where the whole run is.
type runPhase uint8

const (
	running    runPhase = iota // payloads, joins and leaves
	restarting                 // payloads stopped before the server restart
	draining                   // payloads stopped for good before shutdown
	closing                    // every client leaves; waiting for the server to see it
)

// runner drives one server and its clients from a single goroutine, as a
// game loop would: the library starts none of its own.
type runner struct {
	cfg    config
	strict bool // a live connection timing out is a failure (see timeoutBound)
	rng    *rand.Rand
	key    netcode.Key
	server *netcode.Server
	slots  []*slot

	sessions map[uint64]*session
	nextID   uint64 // session ids are never reused: below nextID and absent means finished

	phase     runPhase
	phaseAt   time.Duration
	now       time.Duration // protocol clock: the sum of the dts handed to Update
	restarted bool
	stopping  bool // inside server.Stop: ReasonServerStopped is expected

	buf        [maxPayload]byte
	tot        [3]totals // by direction
	clientSt   core.Stats
	serverSt   core.Stats // the server's counters at the end (they survive Stop)
	joins      uint64
	leaves     [numLeaves]uint64
	outcomes   map[string]uint64 // expected disconnects, by what each side reported
	allowed    uint64            // live timeouts tolerated because the loss exceeds the bound
	unexpected uint64            // live clients disconnected: failures

	heap            []heapSample
	kdrops          map[uint64]uint64 // kernel drops of open sockets, by inode
	serverSocks     map[uint64]bool   // inodes of the server's sockets
	closedDrops     [3]uint64         // kernel drops of closed sockets, by direction
	kernelDrops     [3]uint64         // all kernel drops, by direction (receiving socket)
	stalls          int
	maxStall        time.Duration
	peakSessions    int
	peakServerConns int

	failures  []string
	nFailures int
}

func newRunner(cfg config) (*runner, error) {
	key, err := netcode.GenerateKey()
	if err != nil {
		return nil, err
	}
	bound, _ := cfg.timeoutBound()
	r := &runner{
		cfg: cfg, strict: bound <= strictBound, key: key,
		rng:      rand.New(rand.NewPCG(cfg.Seed, 0x736f616b)),
		sessions: make(map[uint64]*session),
		outcomes: make(map[string]uint64),
		kdrops:   make(map[uint64]uint64), serverSocks: make(map[uint64]bool),
		nextID: 1,
	}
	link := cfg.link()
	link.Seed = cfg.Seed
	r.server, err = netcode.NewServer(netcode.ServerConfig{
		ProtocolID: protocolID, PrivateKey: key,
		Addresses: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")},
		// Vanished clients hold a slot until they time out while their
		// slot has already rejoined: room for that, never a denial.
		MaxClients:       3*cfg.N + 16,
		MaxTokenLifetime: tokenLifetime,
		Conditioning:     &netcode.Conditioning{Recv: &link},
	})
	if err != nil {
		return nil, err
	}
	if err := r.server.Start(); err != nil {
		return nil, err
	}
	for i := range cfg.N {
		// Spread the first joins over a second, as players arrive.
		r.slots = append(r.slots, &slot{idx: i, joinAt: time.Duration(r.rng.Int64N(int64(time.Second)))})
	}
	return r, nil
}

// fail records a failure; the run goes on so that one report shows them all.
func (r *runner) fail(format string, args ...any) {
	r.nFailures++
	if len(r.failures) < 50 {
		r.failures = append(r.failures, fmt.Sprintf("t=%v: ", r.now.Round(time.Millisecond))+fmt.Sprintf(format, args...))
	}
}

func (r *runner) outcome(what string) { r.outcomes[what]++ }

// loop runs until every session is finished or the hard deadline passes.
func (r *runner) loop() {
	deadline := r.cfg.Duration + r.cfg.drain() + 2*r.cfg.Timeout + 10*time.Second
	nextSample, nextProgress := time.Duration(0), r.cfg.Every
	last := time.Now()
	for {
		start := time.Now()
		dt := start.Sub(last)
		last = start
		if dt > r.cfg.maxDt() {
			r.stalls++
			r.maxStall = max(r.maxStall, dt)
			dt = r.cfg.maxDt()
		}
		r.step(dt)
		if r.phase == closing && len(r.sessions) == 0 {
			return
		}
		if r.now > deadline {
			r.fail("shutdown did not finish: %d sessions left (e.g. %s)", len(r.sessions), r.someSession())
			return
		}
		if r.now >= nextSample && r.now <= r.cfg.Duration {
			r.sampleHeap()
			r.sampleKernelDrops()
			r.checkServer()
			nextSample += r.cfg.sampleEvery()
		}
		if r.cfg.Every > 0 && r.now >= nextProgress {
			r.progress()
			nextProgress += r.cfg.Every
		}
		time.Sleep(r.cfg.Tick - time.Since(start))
	}
}

// step is one tick: clients, then the server, then what the run does next.
func (r *runner) step(dt time.Duration) {
	r.now += dt
	for _, sl := range r.slots {
		r.updateSlot(sl, dt)
	}
	if err := r.server.Update(dt); err != nil {
		r.fail("server update: %v", err)
	}
	r.pollServer()
	r.advancePhase()
	if r.phase == running {
		r.sendPayloads(dt)
		r.churn(dt)
	}
	r.actOnLeaves()
	r.checkOverdue()
	r.peakSessions = max(r.peakSessions, len(r.sessions))
	r.peakServerConns = max(r.peakServerConns, r.server.NumConnected())
}

// advancePhase moves the run through restart, drain and shutdown.
func (r *runner) advancePhase() {
	since := r.now - r.phaseAt
	switch r.phase {
	case running:
		if !r.restarted && r.cfg.RestartAt >= 0 && r.now >= time.Duration(r.cfg.RestartAt*float64(r.cfg.Duration)) {
			r.phase, r.phaseAt = restarting, r.now
		} else if r.now >= r.cfg.Duration {
			r.phase, r.phaseAt = draining, r.now
		}
	case restarting:
		if since >= r.cfg.drain() {
			r.restart()
			r.phase, r.phaseAt = running, r.now
		}
	case draining:
		if since >= r.cfg.drain() {
			r.phase, r.phaseAt = closing, r.now
		}
	case closing:
		for _, sl := range r.slots {
			if s := sl.sess; s != nil && s.phase == live {
				r.clientLeaves(s, leaveEnd)
			} else if s == nil {
				r.closeClient(sl) // a restarted client that did not rejoin
			}
		}
	}
}

func (r *runner) someSession() string {
	for _, s := range r.sessions {
		return fmt.Sprintf("session %d phase %d leave %v serverUp %v clientDone %v serverDone %v",
			s.id, s.phase, s.leave, s.serverUp, s.clientDone, s.serverDone)
	}
	return "none"
}

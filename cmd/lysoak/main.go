// Command lysoak is the soak test of the netcode backend: one server and
// N clients over UDP on 127.0.0.1, every direction through the link
// conditioner (loss, duplication, reordering, latency with jitter), for a
// set time, with clients joining and leaving all along and one server
// restart in the middle.
//
// It fails (exit status 1, with the reasons) on a panic, a payload
// delivered twice, corrupt or to the wrong client, a live client
// disconnected while the loss is within what its timeout allows, a
// disconnect reported with the wrong reason or not at all, a server whose
// connected set or counters disagree with what happened, goroutines or
// file descriptors left open at the end, or a heap that keeps growing
// after warm-up.
//
//	go run ./cmd/lysoak -d 1m -n 128         # part of scripts/test.sh
//	go run ./cmd/lysoak -d 10m -n 512        # the long run (see README.md)
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// defaults are the flags' defaults, shared with the test.
func defaults() config {
	return config{
		N: 64, Duration: time.Minute, Seed: 1,
		Loss: 0.15, Duplicate: 0.02, Reorder: 0.05,
		Latency: 50 * time.Millisecond, Jitter: 20 * time.Millisecond,
		Rate: 10, Life: time.Minute, Timeout: 10 * time.Second,
		Tick: 20 * time.Millisecond, Every: 5 * time.Second, RestartAt: 0.5,
	}
}

func main() {
	c := defaults()
	flag.IntVar(&c.N, "n", c.N, "clients connected at once")
	flag.DurationVar(&c.Duration, "d", c.Duration, "how long payloads flow (shutdown adds a few seconds)")
	flag.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the conditioners, payload bytes and churn (timing is real, so runs differ in detail)")
	flag.Float64Var(&c.Loss, "loss", c.Loss, "loss probability, each direction")
	flag.Float64Var(&c.Duplicate, "dup", c.Duplicate, "duplication probability, each direction")
	flag.Float64Var(&c.Reorder, "reorder", c.Reorder, "probability a datagram is held back so later ones overtake it")
	flag.DurationVar(&c.Latency, "latency", c.Latency, "one-way latency")
	flag.DurationVar(&c.Jitter, "jitter", c.Jitter, "jitter around the latency")
	flag.Float64Var(&c.Rate, "rate", c.Rate, "payloads per second per client, each direction")
	flag.DurationVar(&c.Life, "life", c.Life, "mean client lifetime (churn: N/life leaves per second)")
	flag.DurationVar(&c.Timeout, "timeout", c.Timeout, "connection timeout in the tokens (whole seconds)")
	flag.DurationVar(&c.Tick, "tick", c.Tick, "loop period")
	flag.DurationVar(&c.Every, "every", c.Every, "progress line period (0: none)")
	flag.Float64Var(&c.RestartAt, "restart", c.RestartAt, "server restart, as a fraction of -d (negative: none)")
	quiet := flag.Bool("q", false, "summary only")
	flag.Parse()
	c.Out = os.Stdout
	if *quiet {
		c.Every = 0
	}
	r, err := run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lysoak:", err)
		os.Exit(2)
	}
	if r.nFailures > 0 {
		fmt.Fprintf(os.Stderr, "lysoak: FAIL: %d failures (see above)\n", r.nFailures)
		os.Exit(1)
	}
}

// run soaks one configuration and returns the runner with its findings;
// an error means the run could not start.
func run(c config) (*runner, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	// The first socket a process opens also creates the runtime's poller
	// descriptors, which live on: open one before the baseline.
	if tr, err := transport.ListenUDP(netip.MustParseAddrPort("127.0.0.1:0")); err == nil {
		tr.Close()
	}
	var lk leaks
	lk.goroutinesBefore = runtime.NumGoroutine()
	lk.fdsBefore, lk.socketsBefore, lk.fdsOK = openFDs()
	start := time.Now()

	r, err := newRunner(c)
	if err != nil {
		return nil, err
	}
	r.header()
	r.loop()
	r.sampleKernelDrops()
	r.finalChecks()
	for _, sl := range r.slots {
		r.closeClient(sl)
	}
	r.serverSt = r.server.Stats()
	if err := r.server.Stop(); err != nil {
		r.fail("server stop: %v", err)
	}
	r.stopping = true
	r.pollServer() // on a failed run Stop may still disconnect someone

	const settle = 2 * time.Second
	if err := leakCheck("goroutines", lk.goroutinesBefore, runtime.NumGoroutine, settle); err != nil {
		r.fail("%v", err)
	}
	lk.goroutinesAfter = runtime.NumGoroutine()
	if lk.fdsOK {
		fds := func() int { n, _, _ := openFDs(); return n }
		if err := leakCheck("file descriptors", lk.fdsBefore, fds, settle); err != nil {
			r.fail("%v", err)
		}
		lk.fdsAfter, lk.socketsAfter, _ = openFDs()
	}
	r.summary(c.Out, time.Since(start), lk)
	return r, nil
}

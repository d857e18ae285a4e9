package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

func (r *runner) printf(format string, args ...any) {
	if r.cfg.Out != nil {
		fmt.Fprintf(r.cfg.Out, format, args...)
	}
}

func (r *runner) header() {
	c := r.cfg
	bound, k := c.timeoutBound()
	mode := "a live client timing out fails the run"
	if !r.strict {
		mode = fmt.Sprintf("above %.0e: live timeouts are counted, not failed", strictBound)
	}
	r.printf("lysoak: N=%d for %v, seed %d; server %v\n", c.N, c.Duration, c.Seed, r.server.PublicAddresses()[0])
	r.printf("  link, each way: %.1f %% loss, %.1f %% duplicate, %.1f %% reorder, %v ± %v\n",
		100*c.Loss, 100*c.Duplicate, 100*c.Reorder, c.Latency, c.Jitter)
	r.printf("  %.0f payloads/s per client each way; mean client life %v; server restart at %s; timeout %v\n",
		c.Rate, c.Life, restartWhen(c), c.Timeout)
	r.printf("  timeout bound: each side sends >= %d packets per %v window (10 Hz keep-alives, ticks <= %v);\n"+
		"  P(loss alone times out any live client) <= packets * %.2f^%d = %.1e (%s)\n",
		k, c.Timeout, c.maxDt(), c.Loss, k, bound, mode)
}

func restartWhen(c config) string {
	if c.RestartAt < 0 {
		return "never"
	}
	return time.Duration(c.RestartAt * float64(c.Duration)).String()
}

// progress prints one line: finished sessions' totals plus what live ones
// have so far (in-flight payloads read as lost until they land).
func (r *runner) progress() {
	var sent, got [3]uint64
	for _, d := range []direction{up, down} {
		sent[d], got[d] = r.tot[d].sent, r.tot[d].delivered
	}
	for _, s := range r.sessions {
		for _, d := range []direction{up, down} {
			sent[d] += s.streams[d].sent
			got[d] += s.streams[d].delivered
		}
	}
	fds, _, _ := openFDs()
	var heap uint64
	if n := len(r.heap); n > 0 {
		heap = r.heap[n-1].heapInuse
	}
	r.printf("t=%4.0fs sessions %d (server %d) joins %d leaves c/k/v %d/%d/%d  c->s %d ~%.1f%% lost  s->c %d ~%.1f%% lost  heap %s goroutines %d fds %d  failures %d\n",
		r.now.Seconds(), len(r.sessions), r.server.NumConnected(), r.joins,
		r.leaves[leaveClient], r.leaves[leaveKick], r.leaves[leaveVanish],
		sent[up], lossPct(sent[up], got[up]), sent[down], lossPct(sent[down], got[down]),
		mib(heap), runtime.NumGoroutine(), fds, r.nFailures)
}

func lossPct(sent, got uint64) float64 {
	if sent == 0 {
		return 0
	}
	return 100 * float64(sent-got) / float64(sent)
}

// leaks is what the end of the run measured.
type leaks struct {
	goroutinesBefore, goroutinesAfter int
	fdsBefore, fdsAfter               int
	socketsBefore, socketsAfter       int
	fdsOK                             bool
}

func (r *runner) summary(w io.Writer, wall time.Duration, lk leaks) {
	if w == nil {
		return
	}
	c := r.cfg
	fmt.Fprintf(w, "\n== lysoak summary: N=%d, %v of payloads (%v wall in all), seed %d\n", c.N, c.Duration, wall.Round(time.Second), c.Seed)
	fmt.Fprintf(w, "sessions: %d joined, peak %d at once (server peak %d connected); leaves: client %d, kick %d, vanish %d, end %d; server restarts %d\n",
		r.joins, r.peakSessions, r.peakServerConns, r.leaves[leaveClient], r.leaves[leaveKick], r.leaves[leaveVanish], r.leaves[leaveEnd], r.leaves[leaveRestart])
	srv := r.serverSt
	dupDropped := map[direction]uint64{up: srv.DroppedReplayed, down: r.clientSt.DroppedReplayed}
	for _, d := range []direction{up, down} {
		t := r.tot[d]
		fmt.Fprintf(w, "payloads %v: sent %d, delivered %d, lost %d (%.2f %%), delivered twice %d, corrupt %d, misrouted %d; duplicate packets dropped by replay protection %d\n",
			d, t.sent, t.delivered, t.lost, lossPct(t.sent, t.delivered), t.duplicates, t.corrupt, t.misrouted, dupDropped[d])
	}
	keys := make([]string, 0, len(r.outcomes))
	for k := range r.outcomes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %6d  %s", r.outcomes[k], k)
	}
	fmt.Fprintf(w, "disconnects expected:%s\n", b.String())
	fmt.Fprintf(w, "disconnects of live clients: %d unexpected, %d tolerated (loss above the timeout bound)\n", r.unexpected, r.allowed)
	fmt.Fprintf(w, "server: %d packets in, %d out; dropped: replayed %d, decrypt %d, unknown address %d, rejected %d, malformed %d, queue full %d, oversized %d, table full %d\n",
		srv.PacketsReceived, srv.PacketsSent, srv.DroppedReplayed, srv.DroppedDecryptFailed, srv.DroppedUnknownAddress, srv.DroppedRejected, srv.DroppedMalformed, srv.DroppedQueueFull, srv.DroppedOversized, srv.DroppedTableFull)
	cl := r.clientSt
	fmt.Fprintf(w, "clients: %d packets in, %d out; dropped: replayed %d, decrypt %d, unknown address %d, rejected %d, malformed %d, queue full %d, oversized %d\n",
		cl.PacketsReceived, cl.PacketsSent, cl.DroppedReplayed, cl.DroppedDecryptFailed, cl.DroppedUnknownAddress, cl.DroppedRejected, cl.DroppedMalformed, cl.DroppedQueueFull, cl.DroppedOversized)
	fmt.Fprintf(w, "heap (HeapInuse after GC): %s\n", heapSummary(r.heap))
	if warm, final, ok := r.heapLevels(); ok {
		fmt.Fprintf(w, "  warm-up level %s, last third max %s, limit %s (x%.1f + %s)\n",
			mib(warm), mib(final), mib(uint64(float64(warm)*heapSlack)+heapSlackBytes), heapSlack, mib(heapSlackBytes))
	} else {
		fmt.Fprintf(w, "  too few samples for the growth check\n")
	}
	fmt.Fprintf(w, "goroutines: %d before, %d after\n", lk.goroutinesBefore, lk.goroutinesAfter)
	if lk.fdsOK {
		fmt.Fprintf(w, "file descriptors: %d before, %d after (sockets %d, %d)\n", lk.fdsBefore, lk.fdsAfter, lk.socketsBefore, lk.socketsAfter)
	}
	fmt.Fprintf(w, "kernel drops (receive buffer full): server sockets %d, client sockets at least %d\n", r.kernelDrops[up], r.kernelDrops[down])
	fmt.Fprintf(w, "host stalls (a tick over %v, clamped): %d, longest %v\n", c.maxDt(), r.stalls, r.maxStall.Round(time.Millisecond))
	if r.nFailures == 0 {
		fmt.Fprintf(w, "PASS\n")
		return
	}
	fmt.Fprintf(w, "FAIL: %d failures", r.nFailures)
	if r.nFailures > len(r.failures) {
		fmt.Fprintf(w, " (first %d)", len(r.failures))
	}
	fmt.Fprintf(w, ":\n")
	for _, f := range r.failures {
		fmt.Fprintf(w, "  %s\n", f)
	}
}

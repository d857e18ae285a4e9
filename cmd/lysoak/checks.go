package main

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
)

type heapSample struct {
	at                   time.Duration
	heapInuse, heapAlloc uint64
}

// sampleHeap records the heap after a full collection, so that garbage
// not yet collected does not read as growth.
func (r *runner) sampleHeap() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.heap = append(r.heap, heapSample{at: r.now, heapInuse: ms.HeapInuse, heapAlloc: ms.HeapAlloc})
}

// checkServer compares the server's view with the sessions: the same
// connected set, and sane per-client counters.
func (r *runner) checkServer() {
	ids := r.server.ConnectedIDs(nil)
	want := 0
	for _, s := range r.sessions {
		if s.serverUp {
			want++
		}
	}
	if len(ids) != want || r.server.NumConnected() != want {
		r.fail("server lists %d connected (NumConnected %d), events say %d", len(ids), r.server.NumConnected(), want)
	}
	for _, id := range ids {
		s := r.sessions[id.ID]
		if s == nil || !s.serverUp {
			r.fail("server lists %v as connected (%s)", id, describe(s))
			continue
		}
		st, ok := r.server.ClientStats(id)
		if !ok {
			r.fail("no stats for connected %v", id)
			continue
		}
		if err := r.saneClientStats(s, st); err != nil {
			r.fail("session %d: server stats: %v (%+v)", s.id, err, st)
		}
	}
	if st := r.server.Stats(); st.DroppedMalformed != 0 || st.DroppedQueueFull != 0 {
		r.fail("server dropped %d malformed, %d on a full queue", st.DroppedMalformed, st.DroppedQueueFull)
	}
}

func (r *runner) saneClientStats(s *session, st core.Stats) error {
	switch {
	case st.PacketsReceived < s.streams[up].delivered:
		return fmt.Errorf("%d packets received, %d payloads delivered", st.PacketsReceived, s.streams[up].delivered)
	case st.PacketsSent < s.streams[down].sent:
		return fmt.Errorf("%d packets sent, %d payloads sent", st.PacketsSent, s.streams[down].sent)
	case st.BytesReceived < st.PacketsReceived*(1+8+16) || st.BytesSent < st.PacketsSent*(1+8+16):
		return fmt.Errorf("fewer bytes than the smallest packets make")
	case st.DroppedMalformed != 0 || st.DroppedDecryptFailed != 0 || st.DroppedQueueFull != 0:
		return fmt.Errorf("drops that a clean link never causes")
	case st.DroppedReplayed > st.PacketsReceived:
		return fmt.Errorf("more replays dropped than packets received")
	case s.leave == leaveNone && st.SinceLastReceive > r.cfg.Timeout:
		return fmt.Errorf("silent for %v, past the %v timeout", st.SinceLastReceive, r.cfg.Timeout)
	}
	return nil
}

// heapSlack bounds growth after warm-up: the last third's largest sample
// may exceed the warm-up level by this factor plus heapSlackBytes. The
// margin covers churn's uneven peaks (sessions in flight, maps that grew
// at a peak and do not shrink); a leak per packet or per session crosses
// it within minutes.
const (
	heapSlack      = 1.3
	heapSlackBytes = 8 << 20
)

// heapLevels: the warm-up level is the largest sample between 1/6 and 1/3
// of the run, the final level the largest in the last third.
func (r *runner) heapLevels() (warm, final uint64, ok bool) {
	from, to := r.cfg.warmup()
	var nw, nf int
	for _, h := range r.heap {
		switch {
		case h.at >= from && h.at <= to:
			warm = max(warm, h.heapInuse)
			nw++
		case h.at >= r.cfg.Duration*2/3:
			final = max(final, h.heapInuse)
			nf++
		}
	}
	return warm, final, nw > 0 && nf > 0
}

// finalChecks run once every session is finished, before the leak checks.
func (r *runner) finalChecks() {
	if len(r.sessions) != 0 {
		return // already reported by the loop
	}
	if n := r.server.NumConnected(); n != 0 {
		r.fail("%d clients still connected at the end", n)
	}
	for _, d := range []direction{up, down} {
		t := r.tot[d]
		if t.sent != t.delivered+t.lost {
			r.fail("%v: %d sent != %d delivered + %d lost", d, t.sent, t.delivered, t.lost)
		}
		if t.sent == 0 && r.cfg.Rate > 0 {
			r.fail("%v: no payload sent", d)
		}
		if lo, hi, ok := r.lossBounds(d, t.sent); ok {
			if m := float64(t.lost) / float64(t.sent); m < lo || m > hi {
				r.fail("%v: measured loss %.2f %% outside [%.2f, %.2f] %% for -loss %.1f %%", d, 100*m, 100*lo, 100*hi, 100*r.cfg.Loss)
			}
		}
	}
	if warm, final, ok := r.heapLevels(); ok {
		if limit := uint64(float64(warm)*heapSlack) + heapSlackBytes; final > limit {
			r.fail("heap grew after warm-up: %s in the last third, limit %s (warm-up %s)", mib(final), mib(limit), mib(warm))
		}
	}
}

// lossBounds: measured loss must be within 6 standard deviations of the
// configured loss, give or take a point, plus at most what the kernel
// dropped at the receiving sockets (a loaded host overflows the server's
// receive buffer during stalls; those drops are real loss the conditioner
// did not decide). Far outside means payloads vanish or appear beyond
// what the link does.
func (r *runner) lossBounds(d direction, n uint64) (lo, hi float64, ok bool) {
	if n < 1000 {
		return 0, 0, false
	}
	p := r.cfg.Loss
	sd := math.Sqrt(p * (1 - p) / float64(n))
	return p - 6*sd - 0.01, p + 6*sd + 0.01 + float64(r.kernelDrops[d])/float64(n), true
}

// leakCheck waits up to settle for count to come back to at most base.
func leakCheck(what string, base int, count func() int, settle time.Duration) error {
	deadline := time.Now().Add(settle)
	n := count()
	for n > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		n = count()
	}
	if n > base {
		return fmt.Errorf("%s: %d at the end, %d before", what, n, base)
	}
	return nil
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func heapSummary(h []heapSample) string {
	if len(h) == 0 {
		return "none"
	}
	v := make([]uint64, len(h))
	for i, s := range h {
		v[i] = s.heapInuse
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf("%d samples, min %s median %s max %s, first %s last %s",
		len(v), mib(s[0]), mib(s[len(s)/2]), mib(s[len(s)-1]), mib(v[0]), mib(v[len(v)-1]))
}

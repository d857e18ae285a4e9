package tokenservice

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Refusal reasons, the "reason" label of lytokens_refused_total.
const (
	reasonMethod       = "method"
	reasonUnauthorized = "unauthorized"
	reasonRateIP       = "rate_limited_ip"
	reasonRateSubject  = "rate_limited_subject"
	reasonBadRequest   = "bad_request"
	reasonTooLarge     = "body_too_large"
	reasonNoServers    = "no_servers"
	reasonInternal     = "internal"
)

// latencyBuckets are the histogram's upper bounds in seconds.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

// Metrics counts what the service did; a few counters and a histogram are
// written in the Prometheus text format by hand rather than pulling in a
// client library.
type Metrics struct {
	mu      sync.Mutex
	issued  uint64
	refused map[string]uint64
	counts  []uint64 // per bucket, not cumulative; last is +Inf
	sum     float64
	total   uint64
}

// NewMetrics returns zeroed metrics.
func NewMetrics() *Metrics {
	return &Metrics{refused: map[string]uint64{}, counts: make([]uint64, len(latencyBuckets)+1)}
}

func (m *Metrics) issue() {
	m.mu.Lock()
	m.issued++
	m.mu.Unlock()
}

func (m *Metrics) refuse(reason string) {
	m.mu.Lock()
	m.refused[reason]++
	m.mu.Unlock()
}

func (m *Metrics) observe(d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets, s) // first bound >= s
	m.mu.Lock()
	m.counts[i]++
	m.sum += s
	m.total++
	m.mu.Unlock()
}

// Issued is the number of tokens issued so far.
func (m *Metrics) Issued() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.issued
}

// Refused is the number of requests refused for reason so far.
func (m *Metrics) Refused(reason string) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refused[reason]
}

// WriteTo writes the text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	issued, sum, total := m.issued, m.sum, m.total
	counts := append([]uint64(nil), m.counts...)
	reasons := make([]string, 0, len(m.refused))
	for r := range m.refused {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	refused := make([]uint64, len(reasons))
	for i, r := range reasons {
		refused[i] = m.refused[r]
	}
	m.mu.Unlock()

	cw := &countWriter{w: w}
	fmt.Fprintf(cw, "# HELP lytokens_tokens_issued_total Connect tokens issued.\n# TYPE lytokens_tokens_issued_total counter\nlytokens_tokens_issued_total %d\n", issued)
	fmt.Fprintf(cw, "# HELP lytokens_refused_total Token requests refused, by reason.\n# TYPE lytokens_refused_total counter\n")
	for i, r := range reasons {
		fmt.Fprintf(cw, "lytokens_refused_total{reason=%q} %d\n", r, refused[i])
	}
	fmt.Fprintf(cw, "# HELP lytokens_request_duration_seconds Token request latency.\n# TYPE lytokens_request_duration_seconds histogram\n")
	var cum uint64
	for i, le := range latencyBuckets {
		cum += counts[i]
		fmt.Fprintf(cw, "lytokens_request_duration_seconds_bucket{le=\"%g\"} %d\n", le, cum)
	}
	cum += counts[len(latencyBuckets)]
	fmt.Fprintf(cw, "lytokens_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(cw, "lytokens_request_duration_seconds_sum %g\nlytokens_request_duration_seconds_count %d\n", sum, total)
	return cw.n, cw.err
}

// Handler serves the metrics; mount it on its own listener.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.WriteTo(w)
	})
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

package tokenservice

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsExposition(t *testing.T) {
	m := NewMetrics()
	m.issue()
	m.issue()
	m.refuse(reasonUnauthorized)
	m.observe(300 * time.Microsecond) // first bucket
	m.observe(20 * time.Millisecond)  // le 0.025
	m.observe(5 * time.Second)        // only +Inf
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		"# TYPE lytokens_tokens_issued_total counter\nlytokens_tokens_issued_total 2\n",
		`lytokens_refused_total{reason="unauthorized"} 1` + "\n",
		"# TYPE lytokens_request_duration_seconds histogram\n",
		`lytokens_request_duration_seconds_bucket{le="0.0005"} 1` + "\n",
		`lytokens_request_duration_seconds_bucket{le="0.01"} 1` + "\n",
		`lytokens_request_duration_seconds_bucket{le="0.025"} 2` + "\n",
		`lytokens_request_duration_seconds_bucket{le="1"} 2` + "\n",
		`lytokens_request_duration_seconds_bucket{le="+Inf"} 3` + "\n",
		"lytokens_request_duration_seconds_count 3\n",
		"lytokens_request_duration_seconds_sum 5.0203\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
}

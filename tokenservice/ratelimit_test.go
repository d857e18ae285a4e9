package tokenservice

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestIPFloodIs429(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID, IPRate: Rate{PerSecond: 0.5, Burst: 3}})
	cred := signHS(t, testSecret, claims("1"))
	for i := range 3 {
		if resp, _ := r.post(t, cred, nil, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	// The IP limit comes before authentication: bad credentials are
	// limited too, so a flood cannot be used to guess them.
	for _, c := range []string{cred, "garbage"} {
		resp, _ := r.post(t, c, nil, "")
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", resp.StatusCode)
		}
		secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 2 {
			t.Errorf("Retry-After %q, want 1..2 s at 0.5 tokens/s", resp.Header.Get("Retry-After"))
		}
	}
	if n := r.handler.Metrics().Refused(reasonRateIP); n != 2 {
		t.Errorf("rate_limited_ip metric %d", n)
	}
}

func TestSubjectLimit(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID, SubjectRate: Rate{PerSecond: 0.1, Burst: 2}})
	alice := signHS(t, testSecret, claims("alice"))
	bob := signHS(t, testSecret, claims("bob"))
	for range 2 {
		if resp, _ := r.post(t, alice, nil, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("alice: status %d", resp.StatusCode)
		}
	}
	resp, _ := r.post(t, alice, nil, "")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("alice's third: status %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Same IP, another subject: still served.
	for range 2 {
		if resp, _ := r.post(t, bob, nil, ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("bob: status %d", resp.StatusCode)
		}
	}
	if n := r.handler.Metrics().Refused(reasonRateSubject); n != 1 {
		t.Errorf("rate_limited_subject metric %d", n)
	}
}

func TestLimiterRefill(t *testing.T) {
	l := newLimiter(Rate{PerSecond: 2, Burst: 2})
	t0 := time.Unix(1000, 0)
	for i := range 2 {
		if ok, _ := l.allow("k", t0); !ok {
			t.Fatalf("take %d refused", i)
		}
	}
	ok, wait := l.allow("k", t0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("empty bucket: ok %v wait %v, want 500ms", ok, wait)
	}
	if ok, _ := l.allow("k", t0.Add(499*time.Millisecond)); ok {
		t.Error("refilled too early")
	}
	if ok, _ := l.allow("k", t0.Add(600*time.Millisecond)); !ok {
		t.Error("not refilled after 600ms")
	}
	if ok, _ := l.allow("other", t0); !ok {
		t.Error("keys share a bucket")
	}
	if ok, _ := newLimiter(Rate{}).allow("k", t0); !ok {
		t.Error("zero rate limits")
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	l := newLimiter(Rate{PerSecond: 1, Burst: 1})
	t0 := time.Unix(1000, 0)
	for i := range maxBuckets {
		l.allow(strconv.Itoa(i), t0)
	}
	if ok, _ := l.allow("new", t0); ok {
		t.Error("a new key was let in while every bucket was in use")
	}
	// Half a second later some tokens are back, but no bucket is full,
	// and the next sweep is not due.
	if ok, _ := l.allow("new", t0.Add(500*time.Millisecond)); ok {
		t.Error("a new key was let in before any bucket refilled")
	}
	// A second after that every bucket has refilled and can be dropped.
	if ok, _ := l.allow("new", t0.Add(1500*time.Millisecond)); !ok {
		t.Error("full buckets were not swept")
	}
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets after the sweep", len(l.buckets))
	}
}

func TestIPKey(t *testing.T) {
	for ip, want := range map[string]string{
		"192.0.2.7":            "192.0.2.7",
		"::ffff:192.0.2.7":     "192.0.2.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
		"not an ip":            "not an ip",
	} {
		if got := ipKey(ip); got != want {
			t.Errorf("ipKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

// TestFloodLeavesOthersServed: one address floods the service over real
// TLS while players on another address keep getting tokens. Loopback
// gives two client IPs: 127.0.0.2 floods, 127.0.0.1 plays.
func TestFloodLeavesOthersServed(t *testing.T) {
	r := startRig(t, Config{ProtocolID: testProtocolID, IPRate: Rate{PerSecond: 5, Burst: 10}})
	flooder := pinnedClient(t, r.fingerprint)
	flooder.Transport.(*http.Transport).DialContext = (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)},
	}).DialContext
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("127.0.0.2 is not a loopback address here: %v", err)
	} else {
		ln.Close()
	}
	cred := signHS(t, testSecret, claims("1"))

	start := time.Now()
	var limited, served atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, r.url, nil)
				req.Header.Set("Authorization", "Bearer "+cred)
				resp, err := flooder.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusTooManyRequests:
					limited.Add(1)
				case http.StatusOK:
					served.Add(1)
				}
			}
		}()
	}
	// Players: one request each from 127.0.0.1 while the flood runs,
	// within their own IP's burst.
	for i := range 8 {
		time.Sleep(20 * time.Millisecond)
		player := signHS(t, testSecret, claims(strconv.Itoa(100+i)))
		if resp, body := r.post(t, player, nil, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("player %d: status %d: %s", i, resp.StatusCode, body)
		}
	}
	close(stop)
	wg.Wait()
	if limited.Load() < 50 {
		t.Errorf("the flood got %d refusals (and %d tokens): not a flood", limited.Load(), served.Load())
	}
	// The flooder's IP may have its burst of 10 and 5 more a second.
	if allowed := 10 + int64(5*time.Since(start).Seconds()) + 1; served.Load() > allowed {
		t.Errorf("the flooder got %d tokens; its IP's limit allows %d", served.Load(), allowed)
	}
	t.Logf("flood: %d refused with 429, %d served; 8 players served", limited.Load(), served.Load())
}

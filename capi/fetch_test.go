package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// A stand-in token service over TLS: each path answers one way.
func fakeService(t *testing.T, canceled chan<- struct{}) (url, pin string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		tok := make([]byte, 2048)
		tok[0] = 0x4C
		w.Write(tok)
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
	})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "short and stout", http.StatusTeapot)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			if canceled != nil {
				canceled <- struct{}{}
			}
		case <-time.After(10 * time.Second):
		}
	})
	ts := httptest.NewTLSServer(mux)
	t.Cleanup(ts.Close)
	sum := sha256.Sum256(ts.Certificate().Raw)
	return ts.URL, hex.EncodeToString(sum[:])
}

func pinnedOptions(url, pin string, timeoutMS uint32) *cCFetchOptions {
	o := new(cFetchOptions)
	fetchOptionsDefaults(o)
	o.url = cString(url)
	o.credential = cString("c-test")
	o.pin_sha256 = cString(pin)
	if timeoutMS != 0 {
		o.timeout_ms = cU32(timeoutMS)
	}
	return (*cCFetchOptions)(unsafe.Pointer(o))
}

// TestFetchCodes: each kind of failure comes back as its LY_ERR_* code
// with the HTTP status (and Retry-After) in ly_last_error.
func TestFetchCodes(t *testing.T) {
	url, pin := fakeService(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "https://" + ln.Addr().String()
	ln.Close()
	cases := []struct {
		name, url string
		timeout   uint32
		want      cInt
		msg       []string
	}{
		{"token", url + "/ok", 0, 2048, nil},
		{"429", url + "/busy", 0, errRateLimited, []string{"HTTP 429", "retry after 7 s"}},
		{"418", url + "/teapot", 0, errHTTP, []string{"HTTP 418", "short and stout"}},
		{"timeout", url + "/slow", 200, errTimeout, []string{"timed out"}},
		{"refused", refused, 0, errSocket, []string{"unreachable"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := make([]byte, 2048)
			rc, msg, ok := onThread(func() cInt {
				return ly__go_token_fetch(pinnedOptions(c.url, pin, c.timeout), cbuf(out), 2048)
			})
			if !ok {
				t.Fatal("ly_token_fetch did not return")
			}
			if rc != c.want {
				t.Fatalf("rc %d, want %d; last error %q", rc, c.want, msg)
			}
			if rc == 2048 && out[0] != 0x4C {
				t.Error("token not copied out")
			}
			for _, m := range c.msg {
				if !strings.Contains(msg, m) {
					t.Errorf("last error %q lacks %q", msg, m)
				}
			}
		})
	}
}

// TestRequestFreeCancels: freeing a pending request cancels its HTTP
// request at once, and poll never waits for the network.
func TestRequestFreeCancels(t *testing.T) {
	canceled := make(chan struct{}, 1)
	url, pin := fakeService(t, canceled)
	var req *cRequest
	mustOK(t, "ly_token_request_start", ly__go_token_request_start(pinnedOptions(url+"/slow", pin, 30000), &req))
	out := make([]byte, 2048)
	for i := 0; i < 20; i++ {
		start := time.Now()
		if rc := ly__go_token_request_poll(req, cbuf(out), 2048); rc != 0 {
			t.Fatalf("poll of a pending request: %d, want LY_TOKEN_PENDING", rc)
		}
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Fatalf("poll took %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustOK(t, "ly_token_request_free", ly__go_token_request_free(req))
	select {
	case <-canceled:
	case <-time.After(3 * time.Second):
		t.Fatal("the service's request was not canceled by ly_token_request_free")
	}
	if rc := ly__go_token_request_poll(req, cbuf(out), 2048); rc != errInvalidHandle {
		t.Fatalf("poll after free: %d", rc)
	}
}

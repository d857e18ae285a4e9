// Command tokens measures the token service's throughput and its CPU cost
// per token: it starts a lytokens binary in development mode as a child
// process, loads it with keep-alive HTTPS clients (pinned to its
// certificate) for a while, and divides the tokens issued by the CPU time
// the child used (from /proc, so the load generator's own TLS work is not
// counted). Tokens per CPU-second is tokens per second per fully used core.
//
//	go build -o /tmp/lytokens ./cmd/lytokens
//	go run ./bench/tokens -lytokens /tmp/lytokens [-redis 127.0.0.1:6379]
//
// With -redis the service reads a fleet of three servers, registered by
// this tool, from that Redis instead of its static list. Linux only.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/lightyear-conn/lightyear_conn/fleet"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

func main() {
	bin := flag.String("lytokens", "", "lytokens binary (go build -o /tmp/lytokens ./cmd/lytokens)")
	clients := flag.Int("c", 8, "concurrent keep-alive connections")
	warm := flag.Duration("warmup", 2*time.Second, "load before measuring")
	dur := flag.Duration("t", 10*time.Second, "measured load")
	redisAddr := flag.String("redis", "", "Redis host:port: serve a fleet from it instead of a static list")
	accept := flag.String("accept", "application/octet-stream", "Accept header: application/octet-stream or application/json")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "-lytokens is required")
		os.Exit(2)
	}
	if err := run(*bin, *clients, *warm, *dur, *redisAddr, *accept); err != nil {
		fmt.Fprintln(os.Stderr, "tokens:", err)
		os.Exit(1)
	}
}

// service is the child's printed coordinates.
type service struct {
	url, fingerprint, credential string
}

func run(bin string, clients int, warm, dur time.Duration, redisAddr, accept string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := []string{"-dev", "-listen", "127.0.0.1:0", "-rate-ip", "0", "-rate-subject", "0"}
	if redisAddr != "" {
		stop, err := registerFleet(ctx, redisAddr)
		if err != nil {
			return err
		}
		defer stop()
		args = append(args, "-redis", redisAddr)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Wait()
	defer cmd.Process.Signal(os.Interrupt)
	svc, err := readCoordinates(out)
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, out)

	tc, err := tokenservice.PinnedClientTLS(svc.fingerprint)
	if err != nil {
		return err
	}
	tr := &http.Transport{TLSClientConfig: tc, MaxIdleConnsPerHost: clients, ForceAttemptHTTP2: false}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	var issued, failed atomic.Int64
	var measuring atomic.Bool
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				err := fetch(loadCtx, client, svc, accept)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					if loadCtx.Err() == nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
					continue
				}
				issued.Add(1)
			}
		}()
	}
	time.Sleep(warm)
	cpu0, err := cpuTime(cmd.Process.Pid)
	if err != nil {
		stopLoad()
		wg.Wait()
		return err
	}
	measuring.Store(true)
	start := time.Now()
	time.Sleep(dur)
	measuring.Store(false)
	elapsed := time.Since(start)
	cpu1, err := cpuTime(cmd.Process.Pid)
	stopLoad()
	wg.Wait()
	if err != nil {
		return err
	}
	n, cpu := issued.Load(), (cpu1 - cpu0).Seconds()
	dir := "static list"
	if redisAddr != "" {
		dir = "Redis fleet of 3"
	}
	fmt.Printf("directory: %s; %d keep-alive connections; %s; %v measured\n", dir, clients, accept, elapsed.Round(time.Millisecond))
	fmt.Printf("tokens: %d (%.0f/s), failed: %d\n", n, float64(n)/elapsed.Seconds(), failed.Load())
	if e := firstErr.Load(); e != nil {
		fmt.Printf("first failure: %v\n", e)
	}
	fmt.Printf("service CPU: %.2f s (%.2f cores busy); tokens per CPU-second: %.0f; CPU per token: %.1f µs\n",
		cpu, cpu/elapsed.Seconds(), float64(n)/cpu, cpu/float64(n)*1e6)
	if failed.Load() > 0 {
		return errors.New("some requests failed")
	}
	return nil
}

var (
	reURL  = regexp.MustCompile(`^listening: (https://\S+)`)
	reFP   = regexp.MustCompile(`^certificate SHA-256: ([0-9a-f]{64})`)
	reCred = regexp.MustCompile(`^test credential [^:]*: (\S+)`)
)

// readCoordinates reads the development banner up to the credential.
func readCoordinates(r io.Reader) (service, error) {
	var s service
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m := reURL.FindStringSubmatch(line); m != nil {
			s.url = m[1]
		} else if m := reFP.FindStringSubmatch(line); m != nil {
			s.fingerprint = m[1]
		} else if m := reCred.FindStringSubmatch(line); m != nil {
			s.credential = m[1]
		}
		if s.url != "" && s.fingerprint != "" && s.credential != "" {
			return s, nil
		}
	}
	return s, fmt.Errorf("lytokens exited before printing its address, fingerprint and credential (%v)", sc.Err())
}

func fetch(ctx context.Context, c *http.Client, s service, accept string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.credential)
	req.Header.Set("Accept", accept)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// Read to the end so the connection goes back to the pool.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// cpuTime is the process's user + system CPU time, from /proc/PID/stat
// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields restart after ')'.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// registerFleet registers three servers with room and returns a function
// that deregisters them.
func registerFleet(ctx context.Context, addr string) (func(), error) {
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	reg, err := fleet.NewRegistrar(rdb, "", time.Minute)
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := range 3 {
		e := fleet.Entry{
			ID:        fmt.Sprintf("bench-%d", i),
			Addresses: []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(40000+i))},
			Capacity:  64,
			Connected: i,
		}
		if err := reg.Register(ctx, e); err != nil {
			return nil, fmt.Errorf("register in Redis at %s: %w", addr, err)
		}
		ids = append(ids, e.ID)
	}
	return func() {
		for _, id := range ids {
			reg.Deregister(context.Background(), id)
		}
		rdb.Close()
	}, nil
}

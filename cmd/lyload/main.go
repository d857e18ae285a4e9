//go:build linux

// Command lyload measures what the netcode server costs per packet against
// a floor: a bare UDP echo on the same sockets doing the same
// ChaCha20-Poly1305 work with no protocol.
//
// The server runs in this process and N netcode clients in a second process
// (this binary re-executed with the hidden flag -role clients), over UDP on
// 127.0.0.1. Each client sends P-byte payloads at R Hz for T seconds, stamped
// with the send time; the server echoes them (or, with -broadcast, sends one
// stamped payload to everyone at R Hz). See BENCHMARKS.md at the repository
// root for the method and results.
//
//	go run ./cmd/lyload                      # N=1000, ours then floor, ratio
//	go run ./cmd/lyload -sweep 1,10,100,1000 -t 5s -json out.json -png chart.png
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	role := flag.String("role", "", "internal: 'clients' runs the client process")
	childCfg := flag.String("childcfg", "", "internal: the client process's configuration")
	n := flag.Int("n", 1000, "number of clients")
	rate := flag.Int("r", 60, "payloads per second per client")
	size := flag.Int("p", 100, "payload size in bytes (8..1200)")
	dur := flag.Duration("t", 10*time.Second, "how long the clients send")
	tick := flag.Duration("tick", time.Second/60, "server tick: Update, drain events, echo")
	mode := flag.String("mode", "both", "ours, floor, or both (ours then floor, with the ratio)")
	broadcast := flag.Bool("broadcast", false, "server broadcasts one stamped payload to every client at -r Hz instead of echoing")
	sweep := flag.String("sweep", "", "comma-separated client counts to run instead of -n, e.g. 1,10,100,1000")
	jsonOut := flag.String("json", "", "write the results to this JSON file")
	pngOut := flag.String("png", "", "draw server CPU per packet against clients to this PNG")
	peer := flag.String("peer", "", "JSON file (this tool's -json schema) whose runs are drawn as a third series, 'peer'")
	quiet := flag.Bool("q", false, "no progress lines")
	unbatched := flag.Bool("unbatched", false, "ours: write each Send at once (no BatchSends, no Flush)")
	flag.Parse()

	if *role == "clients" {
		childMain(*childCfg)
		return
	}
	counts := []int{*n}
	if *sweep != "" {
		counts = nil
		for _, f := range strings.Split(*sweep, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || v < 1 {
				fatal(fmt.Errorf("bad -sweep entry %q", f))
			}
			counts = append(counts, v)
		}
	}
	var modes []string
	switch *mode {
	case "both":
		modes = []string{"ours", "floor"}
	case "ours", "floor":
		modes = []string{*mode}
	default:
		fatal(fmt.Errorf("-mode must be ours, floor or both"))
	}
	var progress io.Writer = os.Stderr
	if *quiet {
		progress = nil
	}
	rep := Report{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Arch: runtime.GOOS + "/" + runtime.GOARCH}
	for _, c := range counts {
		for _, m := range modes {
			res, err := runOne(runConfig{Mode: m, N: c, Rate: *rate, Payload: *size, Duration: *dur,
				Tick: *tick, Broadcast: *broadcast, Unbatched: *unbatched, Progress: progress})
			if err != nil {
				fatal(fmt.Errorf("%s N=%d: %w", m, c, err))
			}
			printResult(os.Stdout, res)
			rep.Runs = append(rep.Runs, *res)
		}
	}
	rep.Ratios = ratios(rep.Runs)
	for _, r := range rep.Ratios {
		fmt.Printf("N=%d: server CPU per packet, ours / floor = %.2f\n", r.Clients, r.Ratio)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
	if *pngOut != "" {
		series := seriesFrom(rep.Runs)
		if *peer != "" {
			p, err := readPeer(*peer)
			if err != nil {
				fatal(err)
			}
			series = append(series, p)
		}
		if err := writeChart(*pngOut, "server CPU per packet (us) vs clients", series); err != nil {
			fatal(err)
		}
	}
}

// Report is the -json file.
type Report struct {
	GoVersion string   `json:"go"`
	Arch      string   `json:"arch"`
	CPUs      int      `json:"cpus"`
	Runs      []Result `json:"runs"`
	Ratios    []Ratio  `json:"ratios,omitempty"`
}

// Ratio is ours / floor server CPU per packet at one client count.
type Ratio struct {
	Clients int     `json:"clients"`
	Ratio   float64 `json:"ours_over_floor"`
}

func ratios(runs []Result) []Ratio {
	var out []Ratio
	for _, o := range runs {
		if o.Mode != "ours" {
			continue
		}
		for _, f := range runs {
			if f.Mode == "floor" && f.Clients == o.Clients && f.CPUPerPacketUs > 0 {
				out = append(out, Ratio{Clients: o.Clients, Ratio: o.CPUPerPacketUs / f.CPUPerPacketUs})
				break
			}
		}
	}
	return out
}

func printResult(w io.Writer, r *Result) {
	lat := "round trip"
	if r.Broadcast {
		lat = "one way"
	}
	fmt.Fprintf(w, "%s: %d clients x %d Hz x %d B for %.0f s (server tick %.0f Hz)\n", r.Mode, r.Clients, r.RateHz, r.Payload, r.Seconds, r.TickHz)
	fmt.Fprintf(w, "  server CPU per packet  %.2f us  (%.2f s user+sys over %.2f s, %d rx + %d tx)\n",
		r.CPUPerPacketUs, r.ServerCPUSec, r.WindowSec, r.ServerRx, r.ServerTx)
	fmt.Fprintf(w, "  packets/s              %.0f in, %.0f out\n", r.ServerRxPerSec, r.ServerTxPerSec)
	lossPct := 0.0
	if r.Sent > 0 {
		lossPct = 100 * float64(r.Lost) / float64(r.Sent)
	}
	fmt.Fprintf(w, "  delivered              %d of %d (lost %d, %.3f%%)\n", r.Delivered, r.Sent, r.Lost, lossPct)
	fmt.Fprintf(w, "  %-22s p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n", lat, r.P50us, r.P90us, r.P99us, r.MaxUs)
	fmt.Fprintf(w, "  connect all            %.1f ms\n", r.ConnectMs)
	if r.Mode == "ours" {
		fmt.Fprintf(w, "  server heap per client %.0f B (%.1f KiB)\n", r.MemPerClient, r.MemPerClient/1024)
	}
}

func readPeer(path string) (series, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return series{}, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return series{}, fmt.Errorf("%s: %w", path, err)
	}
	s := series{Name: "peer"}
	for _, r := range rep.Runs {
		if r.Mode != "floor" {
			s.X = append(s.X, float64(r.Clients))
			s.Y = append(s.Y, r.CPUPerPacketUs)
		}
	}
	return s, nil
}

func seriesFrom(runs []Result) []series {
	var out []series
	for _, name := range []string{"ours", "floor"} {
		s := series{Name: name}
		for _, r := range runs {
			if r.Mode == name {
				s.X = append(s.X, float64(r.Clients))
				s.Y = append(s.Y, r.CPUPerPacketUs)
			}
		}
		if len(s.X) > 0 {
			out = append(out, s)
		}
	}
	return out
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "lyload:", err)
	os.Exit(1)
}

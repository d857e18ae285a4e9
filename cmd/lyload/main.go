//go:build linux

// Command lyload measures what the netcode server costs per packet against
// a floor: a bare UDP echo on the same sockets doing the same
// ChaCha20-Poly1305 work with no protocol; and against a peer:
// netcode-official, the upstream Rust port of netcode.io, serving the same
// clients (a separate process, built with cargo from bindings/rust).
//
// And our server driven from C through the public API ("ours-c":
// bench/c/lyload_server.c, built by CMake, in its own process like the peer).
//
// The server runs in this process and N netcode clients in a second process
// (this binary re-executed with the hidden flag -role clients), over UDP on
// 127.0.0.1. Each client sends P-byte payloads at R Hz for T seconds, stamped
// with the send time; the server echoes them (or, with -broadcast, sends one
// stamped payload to everyone at R Hz). See BENCHMARKS.md at the repository
// root for the method and results.
//
//	go run ./cmd/lyload                      # N=1000, ours, ours-c, floor, peer; ratios
//	go run ./cmd/lyload -sweep 1,10,100,1000 -t 5s -json out.json -png chart.png
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	role := flag.String("role", "", "internal: 'clients' runs the client process")
	childCfg := flag.String("childcfg", "", "internal: the client process's configuration")
	n := flag.Int("n", 1000, "number of clients (0: an idle server)")
	rate := flag.Int("r", 60, "payloads per second per client")
	size := flag.Int("p", 100, "payload size in bytes (8..1200)")
	dur := flag.Duration("t", 10*time.Second, "how long the clients send")
	tick := flag.Duration("tick", time.Second/60, "server tick: Update, drain events, echo")
	mode := flag.String("mode", "both", "ours, ours-c, floor, peer, or both (all of them: ours, ours-c if built, floor, then the peer if it can be built; with the ratios)")
	broadcast := flag.Bool("broadcast", false, "server broadcasts one stamped payload to every client at -r Hz instead of echoing")
	sweep := flag.String("sweep", "", "comma-separated client counts to run instead of -n, e.g. 0,1,10,100,1000")
	jsonOut := flag.String("json", "", "write the results to this JSON file")
	pngOut := flag.String("png", "", "draw server CPU per payload packet against clients to this PNG")
	peerBinFlag := flag.String("peer-bin", "", "peer: the netcode-peer-server binary (default: built with cargo from bindings/rust)")
	oursCBinFlag := flag.String("ours-c-bin", "", "ours-c: the lyload_server binary (default: "+oursCDefault+" under the repository root, built by CMake)")
	syscalls := flag.Bool("syscalls", false, "count the server process's system calls by kind over the window with strace -c -f -p (inflates that run's CPU figures)")
	quiet := flag.Bool("q", false, "no progress lines")
	unbatched := flag.Bool("unbatched", false, "ours, ours-c: write each Send at once (no BatchSends, no Flush)")
	cpuProfile := flag.String("cpuprofile", "", "write the server process's CPU profile (whole run) to this file")
	flag.Parse()

	if *role == "clients" {
		childMain(*childCfg)
		return
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatal(err)
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		defer stopProfile()
	}
	counts := []int{*n}
	if *sweep != "" {
		counts = nil
		for _, f := range strings.Split(*sweep, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || v < 0 {
				fatal(fmt.Errorf("bad -sweep entry %q", f))
			}
			counts = append(counts, v)
		}
	}
	var modes []string
	switch *mode {
	case "both":
		modes = []string{"ours", "ours-c", "floor", "peer"}
	case "ours", "ours-c", "floor", "peer":
		modes = []string{*mode}
	default:
		fatal(fmt.Errorf("-mode must be ours, ours-c, floor, peer or both"))
	}
	if slices.Contains(modes, "ours-c") {
		p, err := findOursCBin(*oursCBinFlag)
		switch {
		case err == nil:
			oursCBin = p
		case *mode == "both":
			fmt.Fprintf(os.Stderr, "lyload: note: no ours-c series: %v\n", err)
			modes = slices.DeleteFunc(modes, func(m string) bool { return m == "ours-c" })
		default:
			fatal(err)
		}
	}
	if slices.Contains(modes, "peer") {
		p, err := findPeerBin(*peerBinFlag)
		switch {
		case err == nil:
			peerBin = p
		case *mode == "both":
			fmt.Fprintf(os.Stderr, "lyload: note: no peer (netcode-official) series: %v\n", err)
			modes = slices.DeleteFunc(modes, func(m string) bool { return m == "peer" })
		default:
			fatal(err)
		}
	}
	var progress io.Writer = os.Stderr
	if *quiet {
		progress = nil
	}
	rep := Report{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Arch: runtime.GOOS + "/" + runtime.GOARCH}
	for _, c := range counts {
		for _, m := range modes {
			res, err := runOne(runConfig{Mode: m, N: c, Rate: *rate, Payload: *size, Duration: *dur,
				Tick: *tick, Broadcast: *broadcast, Unbatched: *unbatched, Syscalls: *syscalls, Progress: progress})
			if err != nil {
				fatal(fmt.Errorf("%s N=%d: %w", m, c, err))
			}
			printResult(os.Stdout, res)
			rep.Runs = append(rep.Runs, *res)
		}
	}
	rep.Ratios = ratios(rep.Runs)
	for _, r := range rep.Ratios {
		if r.Ratio > 0 {
			fmt.Printf("N=%d: server CPU per packet (all packets), ours / floor = %.2f\n", r.Clients, r.Ratio)
		}
		if r.OursOverPeer > 0 {
			fmt.Printf("N=%d: payload packets per server CPU-second, ours / peer = %.2f\n", r.Clients, r.OursOverPeer)
		}
		if r.OursCOverPeer > 0 {
			fmt.Printf("N=%d: payload packets per server CPU-second, ours-c / peer = %.2f\n", r.Clients, r.OursCOverPeer)
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
	}
	if *pngOut != "" {
		if err := writeChart(*pngOut, "server CPU per payload packet (us) vs clients", seriesFrom(rep.Runs)); err != nil {
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

// Ratio compares ours with the floor and the peer at one client count.
type Ratio struct {
	Clients int `json:"clients"`
	// Ratio is ours / floor server CPU per packet, all packets counted.
	Ratio float64 `json:"ours_over_floor,omitempty"`
	// OursOverPeer is ours / peer payload packets per server CPU-second
	// (the peer cannot count its keep-alives, so payloads only for both).
	OursOverPeer float64 `json:"ours_over_peer_payloads_per_cpu_s,omitempty"`
	// OursCOverPeer is the same for ours-c (our server driven from C in
	// its own process, as the peer is).
	OursCOverPeer float64 `json:"ours_c_over_peer_payloads_per_cpu_s,omitempty"`
}

func ratios(runs []Result) []Ratio {
	var out []Ratio
	for _, o := range runs {
		if o.Mode != "ours" && o.Mode != "ours-c" {
			continue
		}
		var r *Ratio
		for i := range out {
			if out[i].Clients == o.Clients {
				r = &out[i]
			}
		}
		if r == nil {
			out = append(out, Ratio{Clients: o.Clients})
			r = &out[len(out)-1]
		}
		for _, x := range runs {
			if x.Clients != o.Clients {
				continue
			}
			if o.Mode == "ours" && x.Mode == "floor" && x.CPUPerPacketUs > 0 {
				r.Ratio = o.CPUPerPacketUs / x.CPUPerPacketUs
			}
			if x.Mode == "peer" && x.PayloadsPerCPUSec > 0 {
				if o.Mode == "ours" {
					r.OursOverPeer = o.PayloadsPerCPUSec / x.PayloadsPerCPUSec
				} else {
					r.OursCOverPeer = o.PayloadsPerCPUSec / x.PayloadsPerCPUSec
				}
			}
		}
	}
	return slices.DeleteFunc(out, func(r Ratio) bool { return r.Ratio == 0 && r.OursOverPeer == 0 && r.OursCOverPeer == 0 })
}

func printResult(w io.Writer, r *Result) {
	lat := "round trip"
	if r.Broadcast {
		lat = "one way"
	}
	fmt.Fprintf(w, "%s: %d clients x %d Hz x %d B for %.0f s (server tick %.0f Hz)\n", r.Mode, r.Clients, r.RateHz, r.Payload, r.Seconds, r.TickHz)
	proc := "its own process"
	if r.ServerProcess == "lyload" {
		proc = "lyload's process, its bookkeeping included"
	}
	fmt.Fprintf(w, "  per tick               CPU %.1f us, context switches %.2f voluntary + %.2f involuntary (%d ticks; %s)\n",
		r.CPUPerTickUs, r.VolCSPerTick, r.InvolCSPerTick, r.ServerTicks, proc)
	if r.SyscallsByKind != nil {
		fmt.Fprintf(w, "  syscalls per tick      %.2f: %s\n", r.SyscallsPerTick, syscallSummary(r))
	}
	if r.SyscallsNote != "" {
		fmt.Fprintf(w, "  syscalls               %s\n", r.SyscallsNote)
	}
	if r.Mode == "peer" {
		fmt.Fprintf(w, "  server CPU per packet  n/a (it counts no packets; %.2f s user+sys over %.2f s, %d netcode-official servers)\n",
			r.ServerCPUSec, r.WindowSec, r.PeerServers)
	} else if r.ServerRx+r.ServerTx == 0 {
		fmt.Fprintf(w, "  server CPU per packet  n/a (no packets; %.3f s user+sys over %.2f s)\n", r.ServerCPUSec, r.WindowSec)
	} else {
		fmt.Fprintf(w, "  server CPU per packet  %.2f us  (%.2f s user+sys over %.2f s, %d rx + %d tx)\n",
			r.CPUPerPacketUs, r.ServerCPUSec, r.WindowSec, r.ServerRx, r.ServerTx)
		fmt.Fprintf(w, "  packets/s              %.0f in, %.0f out\n", r.ServerRxPerSec, r.ServerTxPerSec)
	}
	if r.PayloadsRx+r.PayloadsTx > 0 {
		fmt.Fprintf(w, "  CPU per payload packet %.2f us  (%d rx + %d tx payloads; %.0f payload packets per CPU-second)\n",
			r.CPUPerPayloadUs, r.PayloadsRx, r.PayloadsTx, r.PayloadsPerCPUSec)
	} else {
		fmt.Fprintf(w, "  CPU per payload packet n/a (no payloads)\n")
	}
	lossPct := 0.0
	if r.Sent > 0 {
		lossPct = 100 * float64(r.Lost) / float64(r.Sent)
	}
	fmt.Fprintf(w, "  delivered              %d of %d (lost %d, %.3f%%)\n", r.Delivered, r.Sent, r.Lost, lossPct)
	fmt.Fprintf(w, "  %-22s p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n", lat, r.P50us, r.P90us, r.P99us, r.MaxUs)
	fmt.Fprintf(w, "  connect all            %.1f ms\n", r.ConnectMs)
	switch {
	case r.Clients == 0:
	case r.Mode == "ours":
		fmt.Fprintf(w, "  server heap per client %.0f B (%.1f KiB)\n", r.MemPerClient, r.MemPerClient/1024)
	case r.Mode == "ours-c":
		fmt.Fprintf(w, "  server RSS per client  %.0f B (%.1f KiB)\n", r.RSSPerClient, r.RSSPerClient/1024)
	case r.Mode == "peer":
		fmt.Fprintf(w, "  server heap per client %.0f B (%.1f KiB; malloc in use), RSS per client %.0f B (%.1f KiB)\n",
			r.MemPerClient, r.MemPerClient/1024, r.RSSPerClient, r.RSSPerClient/1024)
	}
}

// syscallSummary lists the window's system calls per tick, most first.
func syscallSummary(r *Result) string {
	type kv struct {
		k string
		v uint64
	}
	var l []kv
	for k, v := range r.SyscallsByKind {
		l = append(l, kv{k, v})
	}
	slices.SortFunc(l, func(a, b kv) int {
		if a.v != b.v {
			return cmp.Compare(b.v, a.v)
		}
		return strings.Compare(a.k, b.k)
	})
	var parts []string
	for _, e := range l {
		parts = append(parts, fmt.Sprintf("%s %.2f", e.k, float64(e.v)/float64(max(r.ServerTicks, 1))))
	}
	return strings.Join(parts, ", ")
}

// seriesFrom plots CPU per payload packet, the one measure all of them
// have (for the floor it is its CPU per packet); runs without payloads
// (no clients) have no point.
func seriesFrom(runs []Result) []series {
	var out []series
	for _, name := range []string{"ours", "ours-c", "peer", "floor"} {
		s := series{Name: name}
		for _, r := range runs {
			if r.Mode == name && r.PayloadsRx+r.PayloadsTx > 0 {
				s.X = append(s.X, float64(r.Clients))
				s.Y = append(s.Y, r.CPUPerPayloadUs)
			}
		}
		if len(s.X) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// stopProfile ends -cpuprofile; fatal calls it too, as os.Exit skips defers.
var stopProfile = func() {}

func fatal(err error) {
	stopProfile()
	fmt.Fprintln(os.Stderr, "lyload:", err)
	os.Exit(1)
}

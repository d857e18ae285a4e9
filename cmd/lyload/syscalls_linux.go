package main

// -syscalls: the server process's system calls by kind over the window,
// counted by strace (-c: a summary, -f: every thread, -p: attached to the
// running process, detached by SIGINT). Tracing stops the process at every
// system call, so a run with -syscalls costs far more CPU than one
// without: its counts are what to read, not its timings.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type straceRun struct {
	cmd  *exec.Cmd
	out  string
	mu   sync.Mutex
	errb bytes.Buffer
}

// startStrace attaches strace to pid and returns once it says it attached.
func startStrace(pid int) (*straceRun, error) {
	bin, err := exec.LookPath("strace")
	if err != nil {
		return nil, fmt.Errorf("no strace: %w", err)
	}
	f, err := os.CreateTemp("", "lyload-strace-*.txt")
	if err != nil {
		return nil, err
	}
	f.Close()
	s := &straceRun{out: f.Name()}
	s.cmd = exec.Command(bin, "-c", "-f", "-p", strconv.Itoa(pid), "-o", s.out)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		os.Remove(s.out)
		return nil, err
	}
	attached := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.errb.WriteString(line + "\n")
			s.mu.Unlock()
			if strings.Contains(line, "attached") {
				once.Do(func() { close(attached) })
			}
		}
	}()
	select {
	case <-attached:
		return s, nil
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		s.cmd.Wait()
		os.Remove(s.out)
		s.mu.Lock()
		defer s.mu.Unlock()
		return nil, fmt.Errorf("strace did not attach in 5 s: %s", strings.TrimSpace(s.errb.String()))
	}
}

// stop detaches strace and returns the calls counted, by system call.
func (s *straceRun) stop() (map[string]uint64, error) {
	defer os.Remove(s.out)
	s.cmd.Process.Signal(os.Interrupt)
	// strace detaches, writes the summary and dies of the SIGINT it
	// re-raises: that exit is the expected one.
	err := s.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGINT {
			err = nil
		}
	}
	if err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		return nil, fmt.Errorf("strace: %v: %s", err, strings.TrimSpace(s.errb.String()))
	}
	b, err := os.ReadFile(s.out)
	if err != nil {
		return nil, err
	}
	return parseStraceSummary(b)
}

// parseStraceSummary reads strace -c's table:
//
//	% time     seconds  usecs/call     calls    errors syscall
//	------ ----------- ----------- --------- --------- ----------------
//	 60.00    0.000600          10        60         2 recvmmsg
//	...
//	100.00    0.001000          10       100         2 total
//
// The errors column is blank when there were none.
func parseStraceSummary(b []byte) (map[string]uint64, error) {
	calls := map[string]uint64{}
	header := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "%" && f[1] == "time" {
			header = true
			continue
		}
		if !header || len(f) < 5 || strings.HasPrefix(f[0], "-") {
			continue
		}
		if _, err := strconv.ParseFloat(f[0], 64); err != nil {
			continue
		}
		name := f[len(f)-1]
		if name == "total" {
			continue
		}
		n, err := strconv.ParseUint(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("strace summary line %q: %w", line, err)
		}
		calls[name] += n
	}
	if !header {
		return nil, fmt.Errorf("no strace summary in %q", string(b))
	}
	return calls, nil
}

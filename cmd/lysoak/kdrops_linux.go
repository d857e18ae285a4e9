package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// udpDrops reads the kernel's per-socket drop counter (receive buffer
// full) of this process's UDP sockets, by inode, with each local port.
// Such drops add to the conditioner's loss and are invisible to the
// library, so the measured-loss check must know them.
func udpDrops() map[uint64]sockDrops {
	mine := map[uint64]bool{}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || !strings.HasPrefix(l, "socket:[") {
			continue
		}
		if ino, err := strconv.ParseUint(strings.TrimSuffix(l[len("socket:["):], "]"), 10, 64); err == nil {
			mine[ino] = true
		}
	}
	out := map[uint64]sockDrops{}
	for _, f := range []string{"/proc/self/net/udp", "/proc/self/net/udp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
			fs := strings.Fields(sc.Text())
			if len(fs) < 13 {
				continue
			}
			ino, err := strconv.ParseUint(fs[9], 10, 64)
			if err != nil || !mine[ino] {
				continue
			}
			drops, _ := strconv.ParseUint(fs[12], 10, 64)
			var port uint64
			if i := strings.LastIndexByte(fs[1], ':'); i >= 0 {
				port, _ = strconv.ParseUint(fs[1][i+1:], 16, 16)
			}
			out[ino] = sockDrops{port: uint16(port), drops: drops}
		}
		fh.Close()
	}
	return out
}

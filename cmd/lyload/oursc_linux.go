package main

// Ours-c: our server driven from C through the public API
// (bench/c/lyload_server.c), in its own process, spoken to like the peer
// (see peer_linux.go). CMake builds it; lyload only finds it.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// oursCDefault is where CMake puts it, from the repository root.
const oursCDefault = "build/bench/c/lyload_server"

// oursCBin is the binary runOne starts in mode "ours-c" (main sets it from
// findOursCBin, once).
var oursCBin string

// findOursCBin returns the ours-c server: explicit if given, else
// build/bench/c/lyload_server under the repository root.
func findOursCBin(explicit string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("-ours-c-bin: %w", err)
		}
		return explicit, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, oursCDefault)
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("no ours-c server at %s: build it with `cmake -S %s -B %s && cmake --build %s --target lyload_server` (or pass -ours-c-bin)",
			bin, root, filepath.Join(root, "build"), filepath.Join(root, "build"))
	}
	return bin, nil
}

// repoRoot finds the repository root (where include/lightyear_conn.h is):
// above the working directory, else relative to this source file (go run
// and go test keep that path).
func repoRoot() (string, error) {
	ok := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "include", "lightyear_conn.h"))
		return err == nil
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if ok(d) {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, file, _, found := runtime.Caller(0); found {
		if d := filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..")); ok(d) {
			return d, nil
		}
	}
	return "", errors.New("cannot find the repository root (run lyload from the repository, or pass -ours-c-bin)")
}

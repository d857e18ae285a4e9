package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoticesNameEveryModule: the native library carries the code of every
// module it links, so THIRD_PARTY_NOTICES.md (shipped with it) must name
// each one. A new dependency fails here until its notice is added.
func TestNoticesNameEveryModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err) // no go command (e.g. under wine or qemu)
	}
	notices, err := os.ReadFile("../THIRD_PARTY_NOTICES.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, mod := range strings.Fields(string(out)) {
		if seen[mod] {
			continue
		}
		seen[mod] = true
		if !strings.Contains(string(notices), mod) {
			t.Errorf("the library links %s, which THIRD_PARTY_NOTICES.md does not name", mod)
		}
	}
	if len(seen) == 0 {
		t.Error("go list named no module at all")
	}
	// The Unity package's LICENSE.md carries the same notices, below its
	// own heading.
	unity, err := os.ReadFile("../bindings/csharp/com.lightyear.conn/LICENSE.md")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(notices), "\n")
	if !strings.Contains(string(unity), body) {
		t.Error("bindings/csharp/com.lightyear.conn/LICENSE.md does not end with THIRD_PARTY_NOTICES.md's text")
	}
}

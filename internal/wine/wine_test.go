package wine

import (
	"runtime"
	"testing"
)

// Off Windows there is no wine; on Windows the answer is logged, so a CI
// log shows where the Windows tests ran.
func TestVersion(t *testing.T) {
	v, ok := Version()
	if runtime.GOOS != "windows" && ok {
		t.Fatalf("wine %q reported on %s", v, runtime.GOOS)
	}
	if ok && v == "" {
		t.Fatal("under wine with no version")
	}
	t.Logf("wine: %v %q", ok, v)
}

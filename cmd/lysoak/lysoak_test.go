package main

import (
	"os"
	"testing"
	"time"
)

// A short soak in the normal suite: 32 clients for 8 s with fast churn,
// the restart and the end-of-run leak checks. scripts/test.sh runs the
// one-minute version.
func TestShortSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soaks for about 15 s")
	}
	c := defaults()
	c.N, c.Duration, c.Life, c.Timeout = 32, 8*time.Second, 4*time.Second, 5*time.Second
	c.Every = 0
	if testing.Verbose() {
		c.Out = os.Stdout
	}
	r, err := run(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.failures {
		t.Error(f)
	}
	if r.nFailures > 0 {
		t.Fatalf("%d failures", r.nFailures)
	}
	// The run must have exercised what it claims to.
	if r.leaves[leaveRestart] != 1 {
		t.Errorf("%d server restarts, want 1", r.leaves[leaveRestart])
	}
	for _, l := range []leave{leaveClient, leaveKick, leaveVanish, leaveEnd} {
		if r.leaves[l] == 0 {
			t.Errorf("no %v leave", l)
		}
	}
	for _, d := range []direction{up, down} {
		if tot := r.tot[d]; tot.delivered < 300 || tot.lost == 0 {
			t.Errorf("%v: %d delivered, %d lost", d, tot.delivered, tot.lost)
		}
	}
	if r.serverSt.DroppedReplayed == 0 || r.clientSt.DroppedReplayed == 0 {
		t.Errorf("no duplicate dropped by replay protection (server %d, clients %d): is duplication on?",
			r.serverSt.DroppedReplayed, r.clientSt.DroppedReplayed)
	}
	if !r.strict {
		t.Errorf("the test's link must keep the timeout bound strict")
	}
}

func TestValidate(t *testing.T) {
	for name, mod := range map[string]func(*config){
		"no clients":         func(c *config) { c.N = 0 },
		"fractional timeout": func(c *config) { c.Timeout = 2500 * time.Millisecond },
		"loss above 1":       func(c *config) { c.Loss = 1.5 },
		"restart after end":  func(c *config) { c.RestartAt = 1 },
	} {
		c := defaults()
		mod(&c)
		if c.validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if c := defaults(); c.validate() != nil {
		t.Errorf("defaults rejected: %v", c.validate())
	}
}

// The bound is what decides whether a live timeout fails the run: strict
// at the defaults, loose when the loss is beyond what the timeout allows.
func TestTimeoutBound(t *testing.T) {
	c := defaults()
	c.N, c.Duration = 512, 10*time.Minute
	if b, k := c.timeoutBound(); b > strictBound || k < 40 {
		t.Errorf("defaults at N=512, 10 min: bound %v with k=%d", b, k)
	}
	c.Loss, c.Timeout = 0.9, 2*time.Second
	if b, _ := c.timeoutBound(); b <= strictBound {
		t.Errorf("90 %% loss, 2 s timeout: bound %v should not be strict", b)
	}
}

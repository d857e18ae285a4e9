package local

import (
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
)

// Idle: nothing queued and no client that could act on its own; a client
// that is only disconnected can connect again, so only Close ends it, and
// a Connect that fails leaves nothing behind.
func TestIdle(t *testing.T) {
	s := NewServer(Config{})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if !s.Idle() {
		t.Fatal("a new server is not idle")
	}
	c, err := s.Connect(1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Idle() {
		t.Fatal("idle with a connected client")
	}
	if _, err := s.Connect(1); err == nil {
		t.Fatal("a second client with id 1 connected")
	}
	c.Disconnect()
	var ev core.Event
	for s.PollEvent(&ev) {
	}
	if s.Idle() {
		t.Fatal("idle with a disconnected client that may connect again")
	}
	c.Close()
	if !s.Idle() {
		t.Fatal("not idle once every client is closed (the failed Connect's included)")
	}
	c.Close() // twice: counted once
	if !s.Idle() {
		t.Fatal("a second Close broke the count")
	}
	d := s.NewClient(2)
	if s.Idle() {
		t.Fatal("idle with a client made but not connected")
	}
	d.Close()
	if !s.Idle() {
		t.Fatal("not idle after Close")
	}
}

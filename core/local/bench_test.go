package local_test

import (
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/local"
	"github.com/lightyear-conn/lightyear_conn/core/multi"
)

func benchPair(b *testing.B) (*local.Server, *local.Client) {
	b.Helper()
	s := local.NewServer(local.Config{})
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	c, err := s.Connect(1)
	if err != nil {
		b.Fatal(err)
	}
	var ev core.Event
	for s.PollEvent(&ev) { // the connected event
	}
	return s, c
}

// BenchmarkLocalUp: one 100-byte payload from a local client to the
// server, taken by PollEvent.
func BenchmarkLocalUp(b *testing.B) {
	s, c := benchPair(b)
	payload := make([]byte, 100)
	var ev core.Event
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Send(payload); err != nil {
			b.Fatal(err)
		}
		if !s.PollEvent(&ev) {
			b.Fatal("no event")
		}
	}
}

// BenchmarkLocalDown: one 100-byte payload from the server to a local
// client, taken by Receive.
func BenchmarkLocalDown(b *testing.B) {
	s, c := benchPair(b)
	payload := make([]byte, 100)
	id := core.LocalID(1)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Send(id, payload); err != nil {
			b.Fatal(err)
		}
		if _, ok := c.Receive(); !ok {
			b.Fatal("nothing received")
		}
	}
}

// BenchmarkLocalEcho: a game tick with one local client: client send,
// both Updates, server poll and echo, client receive.
func BenchmarkLocalEcho(b *testing.B) {
	s, c := benchPair(b)
	payload := make([]byte, 100)
	var ev core.Event
	b.ReportAllocs()
	for b.Loop() {
		c.Send(payload)
		c.Update(0)
		s.Update(0)
		for s.PollEvent(&ev) {
			s.Send(ev.Client, ev.Payload)
		}
		for {
			if _, ok := c.Receive(); !ok {
				break
			}
		}
	}
}

// BenchmarkLocalViaMulti is the local backend behind multi.Server, the
// way the C API serves it: a payload up and polled, and a poll with
// nothing pending. The caller's event must stay on its stack (0 allocs):
// the C API polls into a local variable on every ly_server_poll.
func BenchmarkLocalViaMulti(b *testing.B) {
	loc := local.NewServer(local.Config{})
	m, err := multi.New(loc)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Start(); err != nil {
		b.Fatal(err)
	}
	c, err := loc.Connect(1)
	if err != nil {
		b.Fatal(err)
	}
	poll := func() bool {
		var ev core.Event // as in capi's ly_server_poll
		return m.PollEvent(&ev)
	}
	for poll() {
	}
	payload := make([]byte, 100)
	b.Run("payload", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Send(payload); err != nil {
				b.Fatal(err)
			}
			if !poll() {
				b.Fatal("no event")
			}
		}
	})
	b.Run("nothing-pending", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if poll() {
				b.Fatal("unexpected event")
			}
		}
	})
}

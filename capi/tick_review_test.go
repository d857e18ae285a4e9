package main

import (
	"bytes"
	"testing"
	"time"
)

// Review: the datagrams a CONTINUE hands back (transport.UDP.Requeue) are
// read by the Go update that finishes it. If another thread's Go call that
// publishes (ly_server_poll, _poll_batch, _flush) runs between the C half
// and that Go update, the mirror is C's again while those datagrams still
// wait in the transport (netcode.Server.Steady does not look at the
// requeue), and a C update that runs meanwhile reads the socket past them:
// a payload the client sent later is handed to the game first.
func TestReviewRequeueOvertaken(t *testing.T) {
	skipUnlessTickC(t)
	defer tickOff.Store(false)
	r := newTickRun(t, false, nil)
	r.echoing = false
	cs := r.connectNew(1, 1)
	r.confirm()
	c := cs[0]

	p1 := bytes.Repeat([]byte{'1'}, 40)
	p2 := bytes.Repeat([]byte{'2'}, 40)

	// A datagram C does not take (type 15), then P1, from the client.
	c.rec.raw(t, r.addrs[0], []byte{0xFF, 1, 2, 3})
	if err := c.c.Send(p1); err != nil {
		t.Fatal(err)
	}
	waitReadable(r.fds, 100*time.Millisecond)
	time.Sleep(5 * time.Millisecond)

	// Thread A: the C half of ly_server_update hands both back.
	if rc := tickUpdateOnly(r.srv, r.dt); rc != 2 {
		t.Fatalf("ly__tick_update: %d, want LY__TICK_CONTINUE", rc)
	}
	// Thread B, before A's Go half gets the handle's lock: a poll (Go
	// path, the mirror is DIRTY) imports, finds no event, publishes.
	var ev cEvent
	buf := make([]byte, 1500)
	if rc := cServerPoll(r.srv, &ev, cbuf(buf), uint32(len(buf))); rc != 0 {
		t.Fatalf("poll: %d", rc)
	}
	// The client sends P2; a C update (thread B again) reads it, past P1.
	if err := c.c.Send(p2); err != nil {
		t.Fatal(err)
	}
	waitReadable(r.fds, 100*time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	h0 := tickHits()
	for i := 0; i < 5; i++ {
		if rc := cServerUpdate(r.srv, 0); rc != 0 {
			t.Fatalf("update: %d", rc)
		}
	}
	t.Logf("updates answered in C meanwhile: %d", tickHits()-h0)
	// Thread A's Go half at last.
	if rc := ly__go_server_update(r.srv, 0); rc != 0 {
		t.Fatalf("go update: %d", rc)
	}
	var got [][]byte
	for {
		n := cServerPoll(r.srv, &ev, cbuf(buf), uint32(len(buf)))
		if n != 1 {
			break
		}
		got = append(got, bytes.Clone(buf[:ev.payload_size]))
	}
	if len(got) != 2 || !bytes.Equal(got[0], p1) || !bytes.Equal(got[1], p2) {
		t.Errorf("the game polled %s, the client sent P1 then P2", describe(got))
	}
}

package eventq

import (
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/stretchr/testify/require"
)

func payload(b ...byte) core.Event { return core.Event{Type: core.EventPayload, Payload: b} }

func TestFIFOAndCopies(t *testing.T) {
	q := New(8)
	src := []byte{1, 2, 3}
	require.True(t, q.Push(payload(src...)))
	require.True(t, q.Push(core.Event{Type: core.EventConnected, Client: core.LocalID(1), Payload: []byte{9}}))
	src[0] = 7 // the queue copied it
	var ev core.Event
	require.True(t, q.Pop(&ev))
	require.Equal(t, []byte{1, 2, 3}, ev.Payload)
	require.True(t, q.Pop(&ev))
	require.Equal(t, core.EventConnected, ev.Type)
	require.Nil(t, ev.Payload, "only payload events carry bytes")
	require.False(t, q.Pop(&ev))
}

func TestPayloadLimitKeepsConnectionEvents(t *testing.T) {
	q := New(2)
	require.True(t, q.Push(payload(1)))
	require.True(t, q.Push(payload(2)))
	require.False(t, q.Push(payload(3)), "third payload refused")
	for i := 0; i < 100; i++ {
		require.True(t, q.Push(core.Event{Type: core.EventDisconnected}), "connection events always fit")
	}
	require.Equal(t, 102, q.Len())
	var ev core.Event
	require.True(t, q.Pop(&ev))
	require.True(t, q.Push(payload(4)), "room again after a pop")
}

// A popped payload stays intact while later events are pushed: only the
// next Pop recycles its buffer.
func TestPoppedPayloadStableUntilNextPop(t *testing.T) {
	q := New(64)
	q.Push(payload(1, 1))
	var ev core.Event
	q.Pop(&ev)
	for i := 0; i < 50; i++ {
		q.Push(payload(byte(i), byte(i)))
	}
	require.Equal(t, []byte{1, 1}, ev.Payload)
	var next core.Event
	for i := 0; q.Pop(&next); i++ {
		require.Equal(t, []byte{byte(i), byte(i)}, next.Payload)
	}
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	q := New(64)
	p := make([]byte, 100)
	var ev core.Event
	for i := 0; i < 10; i++ {
		q.Push(payload(p...))
		q.Pop(&ev)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		q.Push(payload(p...))
		q.Push(core.Event{Type: core.EventConnected})
		q.Pop(&ev)
		q.Pop(&ev)
	})
	require.Zero(t, allocs)
}

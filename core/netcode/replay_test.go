package netcode

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Near 2^64 the naive age test `seq + 256 <= mostRecent` wraps around and
// would accept ancient packets; ours must not.
func TestReplayWindowNearMaxUint64(t *testing.T) {
	var w replayWindow
	w.reset()
	top := uint64(math.MaxUint64 - 1)
	require.False(t, w.alreadyReceived(top))
	w.advance(top)
	require.True(t, w.alreadyReceived(top), "same sequence")
	require.True(t, w.alreadyReceived(0), "ancient")
	require.True(t, w.alreadyReceived(top-replayBufferSize), "just out of the window")
	require.False(t, w.alreadyReceived(top-replayBufferSize+1), "oldest in the window")
	require.False(t, w.alreadyReceived(top-1), "recent and unseen")
	w.advance(top - 1)
	require.True(t, w.alreadyReceived(top-1))
}

func TestReplayWindowSlotReuse(t *testing.T) {
	var w replayWindow
	w.reset()
	w.advance(5)
	w.advance(5 + replayBufferSize) // same slot, newer sequence
	require.True(t, w.alreadyReceived(5))
	require.True(t, w.alreadyReceived(5+replayBufferSize))
	require.False(t, w.alreadyReceived(6+replayBufferSize))
}

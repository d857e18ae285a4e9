package steamworks

import (
	"maps"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// steamLayout is STEAM.md's table: sizes and offsets measured with
// offsetof on Valve's headers (x86-64).
var steamLayout = map[string]int64{
	"sizeof lys_IPAddr": 18, "lys_IPAddr.ipv6": 0, "lys_IPAddr.port": 16,

	"sizeof lys_Identity": 136, "lys_Identity.eType": 0, "lys_Identity.cbSize": 4, "lys_Identity.u": 8,

	"sizeof lys_Message": 216, "lys_Message.pData": 0, "lys_Message.cbSize": 8, "lys_Message.conn": 12,
	"lys_Message.identityPeer": 16, "lys_Message.connUserData": 152, "lys_Message.usecTimeReceived": 160,
	"lys_Message.messageNumber": 168, "lys_Message.pfnFreeData": 176, "lys_Message.pfnRelease": 184,
	"lys_Message.channel": 192, "lys_Message.flags": 196, "lys_Message.userData": 200, "lys_Message.idxLane": 208,

	"sizeof lys_ConnInfo": 696, "lys_ConnInfo.identityRemote": 0, "lys_ConnInfo.userData": 136,
	"lys_ConnInfo.listenSocket": 144, "lys_ConnInfo.addrRemote": 148, "lys_ConnInfo.idPOPRemote": 168,
	"lys_ConnInfo.idPOPRelay": 172, "lys_ConnInfo.eState": 176, "lys_ConnInfo.eEndReason": 180,
	"lys_ConnInfo.endDebug": 184, "lys_ConnInfo.description": 312, "lys_ConnInfo.flags": 440,

	"sizeof lys_StatusChanged": 704, "lys_StatusChanged.hConn": 0, "lys_StatusChanged.info": 4,
	"lys_StatusChanged.eOldState": 700,

	"sizeof lys_RealTimeStatus": 120, "lys_RealTimeStatus.eState": 0, "lys_RealTimeStatus.ping": 4,
	"lys_RealTimeStatus.qualityLocal": 8, "lys_RealTimeStatus.qualityRemote": 12,
	"lys_RealTimeStatus.outPacketsPerSec": 16, "lys_RealTimeStatus.outBytesPerSec": 20,
	"lys_RealTimeStatus.inPacketsPerSec": 24, "lys_RealTimeStatus.inBytesPerSec": 28,
	"lys_RealTimeStatus.sendRateBytesPerSec": 32, "lys_RealTimeStatus.pendingUnreliable": 36,
	"lys_RealTimeStatus.pendingReliable": 40, "lys_RealTimeStatus.sentUnackedReliable": 44,
	"lys_RealTimeStatus.usecQueueTime": 48,

	"sizeof lys_ConfigValue": 16, "lys_ConfigValue.eValue": 0, "lys_ConfigValue.eDataType": 4,
	"lys_ConfigValue.val": 8,
}

// Valve packs callbacks to 8 bytes on Windows (VALVE_CALLBACK_PACK_LARGE)
// and to 4 on Linux and macOS: the status change's info moves.
var steamLayoutWindows = map[string]int64{
	"sizeof lys_StatusChanged": 712, "lys_StatusChanged.info": 8, "lys_StatusChanged.eOldState": 704,
}

func TestLayoutMatchesSteam(t *testing.T) {
	if runtime.GOOS == "windows" {
		maps.Copy(steamLayout, steamLayoutWindows)
	}
	got := cLayout()
	require.Len(t, got, len(steamLayout), "every declared size and offset has an expected value, and back")
	for name, want := range steamLayout {
		v, ok := got[name]
		require.True(t, ok, "%s not reported by layout.c", name)
		require.Equal(t, want, v, name)
	}
}

// Go reads three message fields through cgo's struct type: cgo's view
// must agree with C's.
func TestLayoutCgoView(t *testing.T) {
	for i, pair := range goMessageLayout() {
		require.Equal(t, pair[1], pair[0], "field %d", i)
	}
}

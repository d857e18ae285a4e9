// sizeof and offsetof of our declarations, for layout_test.go to compare
// with the offsets measured on Valve's headers (STEAM.md).
#include <stddef.h>
#include "shim.h"

#define SZ(t) {"sizeof " #t, (long)sizeof(t)}
#define OFF(t, f) {#t "." #f, (long)offsetof(t, f)}

static const struct {
	const char *name;
	long value;
} layout[] = {
	SZ(lys_IPAddr),
	OFF(lys_IPAddr, ipv6),
	OFF(lys_IPAddr, port),

	SZ(lys_Identity),
	OFF(lys_Identity, eType),
	OFF(lys_Identity, cbSize),
	OFF(lys_Identity, u),

	SZ(lys_Message),
	OFF(lys_Message, pData),
	OFF(lys_Message, cbSize),
	OFF(lys_Message, conn),
	OFF(lys_Message, identityPeer),
	OFF(lys_Message, connUserData),
	OFF(lys_Message, usecTimeReceived),
	OFF(lys_Message, messageNumber),
	OFF(lys_Message, pfnFreeData),
	OFF(lys_Message, pfnRelease),
	OFF(lys_Message, channel),
	OFF(lys_Message, flags),
	OFF(lys_Message, userData),
	OFF(lys_Message, idxLane),

	SZ(lys_ConnInfo),
	OFF(lys_ConnInfo, identityRemote),
	OFF(lys_ConnInfo, userData),
	OFF(lys_ConnInfo, listenSocket),
	OFF(lys_ConnInfo, addrRemote),
	OFF(lys_ConnInfo, idPOPRemote),
	OFF(lys_ConnInfo, idPOPRelay),
	OFF(lys_ConnInfo, eState),
	OFF(lys_ConnInfo, eEndReason),
	OFF(lys_ConnInfo, endDebug),
	OFF(lys_ConnInfo, description),
	OFF(lys_ConnInfo, flags),

	SZ(lys_StatusChanged),
	OFF(lys_StatusChanged, hConn),
	OFF(lys_StatusChanged, info),
	OFF(lys_StatusChanged, eOldState),

	SZ(lys_RealTimeStatus),
	OFF(lys_RealTimeStatus, eState),
	OFF(lys_RealTimeStatus, ping),
	OFF(lys_RealTimeStatus, qualityLocal),
	OFF(lys_RealTimeStatus, qualityRemote),
	OFF(lys_RealTimeStatus, outPacketsPerSec),
	OFF(lys_RealTimeStatus, outBytesPerSec),
	OFF(lys_RealTimeStatus, inPacketsPerSec),
	OFF(lys_RealTimeStatus, inBytesPerSec),
	OFF(lys_RealTimeStatus, sendRateBytesPerSec),
	OFF(lys_RealTimeStatus, pendingUnreliable),
	OFF(lys_RealTimeStatus, pendingReliable),
	OFF(lys_RealTimeStatus, sentUnackedReliable),
	OFF(lys_RealTimeStatus, usecQueueTime),

	SZ(lys_ConfigValue),
	OFF(lys_ConfigValue, eValue),
	OFF(lys_ConfigValue, eDataType),
	OFF(lys_ConfigValue, val),
};

int lys_layout(int i, const char **name, long *value) {
	int n = (int)(sizeof layout / sizeof layout[0]);
	if (i >= 0 && i < n) {
		*name = layout[i].name;
		*value = layout[i].value;
	}
	return n;
}

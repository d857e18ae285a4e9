// Our own declarations of the few Steam networking types the backend
// touches, written from the measured layouts in the project's STEAM.md (no
// Valve header is vendored). layout.c reports sizeof/offsetof of each so
// the tests can hold them to the measured numbers. The test double in
// testdata/fakesteam declares its own, independently, and asserts them
// against the same numbers.
#ifndef LYS_STEAM_TYPES_H
#define LYS_STEAM_TYPES_H

#include <stdint.h>
#include <stdbool.h>

// Constants from STEAM.md.
enum {
	LYS_STATE_NONE = 0,
	LYS_STATE_CONNECTING = 1,
	LYS_STATE_FINDING_ROUTE = 2,
	LYS_STATE_CONNECTED = 3,
	LYS_STATE_CLOSED_BY_PEER = 4,
	LYS_STATE_PROBLEM_DETECTED_LOCALLY = 5,
};

enum {
	LYS_RESULT_OK = 1,
	LYS_RESULT_NO_CONNECTION = 3,
	LYS_RESULT_INVALID_PARAM = 8,
	LYS_RESULT_INVALID_STATE = 11,
	LYS_RESULT_LIMIT_EXCEEDED = 25,
};

enum {
	LYS_IDENTITY_INVALID = 0,
	LYS_IDENTITY_IP = 1,
	LYS_IDENTITY_STEAMID = 16,
};

enum { LYS_SEND_UNRELIABLE_NO_NAGLE = 1 };

// SteamNetworkingIPAddr and SteamNetworkingIdentity are packed to 1 byte.
#pragma pack(push, 1)
typedef struct lys_IPAddr {
	uint8_t ipv6[16]; // IPv4 as ::ffff:a.b.c.d
	uint16_t port;    // host byte order
} lys_IPAddr;

typedef struct lys_Identity {
	int32_t eType;
	int32_t cbSize;
	union {
		uint64_t steamID64;
		lys_IPAddr ip;
		char genericString[32];
		uint8_t raw[128];
	} u;
} lys_Identity;
#pragma pack(pop)

// SteamNetworkingMessage_t has natural packing.
typedef struct lys_Message {
	void *pData;
	int32_t cbSize;
	uint32_t conn;
	lys_Identity identityPeer;
	int64_t connUserData;
	int64_t usecTimeReceived;
	int64_t messageNumber;
	void (*pfnFreeData)(struct lys_Message *);
	void (*pfnRelease)(struct lys_Message *);
	int32_t channel;
	int32_t flags;
	int64_t userData;
	uint16_t idxLane;
	uint16_t pad1;
} lys_Message;

// The connection info and the status-change callback are packed as
// Valve's VALVE_CALLBACK_PACK_SMALL (4 bytes) on Linux, macOS and FreeBSD,
// and VALVE_CALLBACK_PACK_LARGE (8 bytes) elsewhere, Windows included: there
// the callback's info starts at 8, not 4. Packed to 4, the callback's int64
// userData is misaligned for cgo: only C code reads them.
#if defined(__linux__) || defined(__APPLE__) || defined(__FreeBSD__)
#pragma pack(push, 4)
#else
#pragma pack(push, 8)
#endif
typedef struct lys_ConnInfo {
	lys_Identity identityRemote;
	int64_t userData;
	uint32_t listenSocket;
	lys_IPAddr addrRemote;
	uint16_t pad1;
	uint32_t idPOPRemote;
	uint32_t idPOPRelay;
	int32_t eState;
	int32_t eEndReason;
	char endDebug[128];
	char description[128];
	int32_t flags;
	uint32_t reserved[63];
} lys_ConnInfo;

typedef struct lys_StatusChanged {
	uint32_t hConn;
	lys_ConnInfo info;
	int32_t eOldState;
} lys_StatusChanged;
#pragma pack(pop)

typedef struct lys_RealTimeStatus {
	int32_t eState;
	int32_t ping;
	float qualityLocal;
	float qualityRemote;
	float outPacketsPerSec;
	float outBytesPerSec;
	float inPacketsPerSec;
	float inBytesPerSec;
	int32_t sendRateBytesPerSec;
	int32_t pendingUnreliable;
	int32_t pendingReliable;
	int32_t sentUnackedReliable;
	int64_t usecQueueTime;
	uint32_t reserved[16];
} lys_RealTimeStatus;

typedef struct lys_ConfigValue {
	int32_t eValue;
	int32_t eDataType;
	union {
		int32_t i32;
		int64_t i64;
		float f;
		const char *str;
		void *ptr;
	} val;
} lys_ConfigValue;

// The status callback's signature and the debug output's.
typedef void (*lys_status_fn)(lys_StatusChanged *);
typedef void (*lys_debug_fn)(int level, const char *msg);

#endif

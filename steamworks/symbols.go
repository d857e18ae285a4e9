package steamworks

/*
#include "shim.h"
*/
import "C"

// symbol names the function in one slot of the C table for each flavour
// of library; "" means that flavour does not need it. This table is the
// one list of everything the backend resolves: Open resolves every entry
// of the chosen flavour up front, and the tests check the whole list
// against the test double and, when present, Valve's libsteam_api.so.
type symbol struct {
	slot       C.int
	steamworks string
	gns        string
}

const sockets = "SteamAPI_ISteamNetworkingSockets_"
const utils = "SteamAPI_ISteamNetworkingUtils_"

var symbols = []symbol{
	// Initialisation and interfaces. GNS has no game server and no Steam
	// user: P2P, authentication and the identity are Steamworks only.
	{C.LYS_INIT_FLAT, "SteamAPI_InitFlat", ""},
	{C.LYS_SHUTDOWN, "SteamAPI_Shutdown", ""},
	{C.LYS_GS_INIT, "SteamInternal_GameServer_Init_V2", ""},
	{C.LYS_GS_SHUTDOWN, "SteamGameServer_Shutdown", ""},
	{C.LYS_API_RUN_CALLBACKS, "SteamAPI_RunCallbacks", ""},
	{C.LYS_GS_RUN_CALLBACKS, "SteamGameServer_RunCallbacks", ""},
	{C.LYS_GS_SOCKETS, "SteamAPI_SteamGameServerNetworkingSockets_SteamAPI_v012", ""},
	{C.LYS_INIT_AUTHENTICATION, sockets + "InitAuthentication", ""},
	{C.LYS_GET_IDENTITY, sockets + "GetIdentity", ""},
	{C.LYS_LISTEN_P2P, sockets + "CreateListenSocketP2P", ""},
	{C.LYS_CONNECT_P2P, sockets + "ConnectP2P", ""},
	{C.LYS_IDENTITY_SET_STEAMID64, "SteamAPI_SteamNetworkingIdentity_SetSteamID64", ""},
	{C.LYS_API_GET_PIPE, "SteamAPI_GetHSteamPipe", ""},
	{C.LYS_GS_GET_PIPE, "SteamGameServer_GetHSteamPipe", ""},
	{C.LYS_INIT_RELAY, utils + "InitRelayNetworkAccess", ""},
	{C.LYS_GNS_INIT, "", "GameNetworkingSockets_Init"},
	{C.LYS_GNS_KILL, "", "GameNetworkingSockets_Kill"},
	{C.LYS_SOCKETS, "SteamAPI_SteamNetworkingSockets_SteamAPI_v012", "SteamNetworkingSockets_LibV12"},
	{C.LYS_UTILS, "SteamAPI_SteamNetworkingUtils_SteamAPI_v004", "SteamNetworkingUtils_LibV4"},

	// The flat API proper: one name in both libraries.
	{C.LYS_LISTEN_IP, sockets + "CreateListenSocketIP", sockets + "CreateListenSocketIP"},
	{C.LYS_CONNECT_IP, sockets + "ConnectByIPAddress", sockets + "ConnectByIPAddress"},
	{C.LYS_ACCEPT, sockets + "AcceptConnection", sockets + "AcceptConnection"},
	{C.LYS_CLOSE_CONNECTION, sockets + "CloseConnection", sockets + "CloseConnection"},
	{C.LYS_CLOSE_LISTEN, sockets + "CloseListenSocket", sockets + "CloseListenSocket"},
	// SendMessageToConnection, not SendMessages: the same signature in
	// both libraries, and no pointer-to-pointer argument to get wrong.
	{C.LYS_SEND, sockets + "SendMessageToConnection", sockets + "SendMessageToConnection"},
	{C.LYS_RECEIVE_ON_CONNECTION, sockets + "ReceiveMessagesOnConnection", sockets + "ReceiveMessagesOnConnection"},
	{C.LYS_CREATE_POLL_GROUP, sockets + "CreatePollGroup", sockets + "CreatePollGroup"},
	{C.LYS_DESTROY_POLL_GROUP, sockets + "DestroyPollGroup", sockets + "DestroyPollGroup"},
	{C.LYS_SET_POLL_GROUP, sockets + "SetConnectionPollGroup", sockets + "SetConnectionPollGroup"},
	{C.LYS_RECEIVE_ON_POLL_GROUP, sockets + "ReceiveMessagesOnPollGroup", sockets + "ReceiveMessagesOnPollGroup"},
	{C.LYS_REAL_TIME_STATUS, sockets + "GetConnectionRealTimeStatus", sockets + "GetConnectionRealTimeStatus"},
	{C.LYS_RUN_CALLBACKS, sockets + "RunCallbacks", sockets + "RunCallbacks"},
	{C.LYS_SET_GLOBAL_CALLBACK, utils + "SetGlobalCallback_SteamNetConnectionStatusChanged", utils + "SetGlobalCallback_SteamNetConnectionStatusChanged"},
	{C.LYS_SET_CONFIG_INT32, utils + "SetGlobalConfigValueInt32", utils + "SetGlobalConfigValueInt32"},
	{C.LYS_SET_DEBUG_OUTPUT, utils + "SetDebugOutputFunction", utils + "SetDebugOutputFunction"},
	{C.LYS_MESSAGE_RELEASE, "SteamAPI_SteamNetworkingMessage_t_Release", "SteamAPI_SteamNetworkingMessage_t_Release"},
}

// name is the symbol's name in a flavour's library.
func (s symbol) name(f Flavour) string {
	if f == FlavourGNS {
		return s.gns
	}
	return s.steamworks
}

// Symbols lists the name of every function the backend resolves from a
// flavour's library, in table order.
func Symbols(f Flavour) []string {
	var names []string
	for _, s := range symbols {
		if n := s.name(f); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// For the tests, which cannot use cgo.
func slotCount() C.int   { return C.LYS_SLOT_COUNT }
func slotSockets() C.int { return C.LYS_SOCKETS }
func slotUtils() C.int   { return C.LYS_UTILS }

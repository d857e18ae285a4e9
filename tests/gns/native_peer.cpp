// A native GameNetworkingSockets peer for steamworks/gns_test.go: the
// other end of the Steam backend's connections, written against GNS's
// public C++ headers, so that the backend is checked against a peer that
// is not itself.
//
//   native_peer server PORT
//       Listens on 127.0.0.1:PORT, accepts one connection and echoes every
//       message (reliable). The text "bye" makes it close the connection
//       with end reason 1042 (App_Min + 42) and debug text "native bye".
//   native_peer client 127.0.0.1:PORT N close END
//   native_peer client 127.0.0.1:PORT N wait
//       Connects, sends N numbered messages (reliable) and checks that
//       each comes back intact and in order; then either closes the
//       connection with end reason END and "native client done", or
//       waits for the server to close it.
//
// Events go to stdout, one a line, flushed: "listening PORT", "connected",
// "echoes N", "closed-by-self END", "closed-by-peer END DEBUG",
// "problem END DEBUG", "done", "error ...". The exit code is 0 when the
// connection ended as the mode expects, 1 otherwise, 2 on a usage error,
// 3 after 20 s without an end.
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <steam/isteamnetworkingutils.h>
#include <steam/steamnetworkingsockets.h>

namespace {

constexpr int kByeReason = k_ESteamNetConnectionEnd_App_Min + 42;
constexpr int kTimeoutMs = 2000;
constexpr auto kDeadline = std::chrono::seconds(20);

ISteamNetworkingSockets *sockets;

// Status changes arrive inside RunCallbacks, on this thread; they are
// copied and handled by the main loop.
std::vector<SteamNetConnectionStatusChangedCallback_t> changes;

void onStatusChanged(SteamNetConnectionStatusChangedCallback_t *info) { changes.push_back(*info); }

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void say(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

// The client's message i: its size and bytes follow from i, so an echo
// that is cut, corrupted or out of order shows.
std::string numbered(int i) {
	std::string m(8 + (i * 97) % 1193, '\0');
	std::snprintf(&m[0], m.size(), "n%06d", i);
	for (size_t j = 8; j < m.size(); j++) {
		m[j] = char(i * 31 + j);
	}
	return m;
}

// Runs the callbacks for a while, so that a close is sent before Kill.
void linger() {
	auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
	while (std::chrono::steady_clock::now() < until) {
		sockets->RunCallbacks();
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
}

// What the main loop does with the connection's end.
enum class Ended { no, byPeer, problem };

Ended handleEnd(const SteamNetConnectionStatusChangedCallback_t &c) {
	const SteamNetConnectionInfo_t &info = c.m_info;
	if (info.m_eState == k_ESteamNetworkingConnectionState_ClosedByPeer) {
		say("closed-by-peer %d %s", info.m_eEndReason, info.m_szEndDebug);
	} else if (info.m_eState == k_ESteamNetworkingConnectionState_ProblemDetectedLocally) {
		say("problem %d %s", info.m_eEndReason, info.m_szEndDebug);
	} else {
		return Ended::no;
	}
	sockets->CloseConnection(c.m_hConn, 0, nullptr, false); // frees the handle
	return info.m_eState == k_ESteamNetworkingConnectionState_ClosedByPeer ? Ended::byPeer : Ended::problem;
}

int runServer(uint16_t port) {
	SteamNetworkingIPAddr addr;
	addr.Clear();
	addr.SetIPv4(0x7f000001, port);
	HSteamListenSocket listen = sockets->CreateListenSocketIP(addr, 0, nullptr);
	if (listen == k_HSteamListenSocket_Invalid) {
		say("error listen");
		return 1;
	}
	say("listening %u", port);
	HSteamNetConnection conn = k_HSteamNetConnection_Invalid;
	int echoed = 0;
	int code = 3;
	auto deadline = std::chrono::steady_clock::now() + kDeadline;
	while (code == 3 && std::chrono::steady_clock::now() < deadline) {
		sockets->RunCallbacks();
		for (const auto &c : changes) {
			switch (c.m_info.m_eState) {
			case k_ESteamNetworkingConnectionState_Connecting:
				if (conn == k_HSteamNetConnection_Invalid && c.m_info.m_hListenSocket == listen &&
				    sockets->AcceptConnection(c.m_hConn) == k_EResultOK) {
					conn = c.m_hConn;
				} else if (c.m_hConn != conn) {
					sockets->CloseConnection(c.m_hConn, k_ESteamNetConnectionEnd_App_Min + 1, "one at a time", false);
				}
				break;
			case k_ESteamNetworkingConnectionState_Connected:
				if (c.m_hConn == conn) {
					say("connected");
				}
				break;
			default:
				if (c.m_hConn == conn) {
					switch (handleEnd(c)) {
					case Ended::byPeer: code = 0; break;
					case Ended::problem: code = 1; break;
					case Ended::no: break;
					}
				}
			}
		}
		changes.clear();
		SteamNetworkingMessage_t *msgs[32];
		int n = conn == k_HSteamNetConnection_Invalid || code != 3 ? 0 : sockets->ReceiveMessagesOnConnection(conn, msgs, 32);
		for (int i = 0; i < n; i++) {
			SteamNetworkingMessage_t *m = msgs[i];
			if (code == 3 && m->m_cbSize == 3 && std::memcmp(m->m_pData, "bye", 3) == 0) {
				sockets->CloseConnection(conn, kByeReason, "native bye", false);
				say("echoes %d", echoed);
				say("closed-by-self %d", kByeReason);
				linger();
				code = 0;
			} else if (code == 3) {
				sockets->SendMessageToConnection(conn, m->m_pData, m->m_cbSize, k_nSteamNetworkingSend_Reliable, nullptr);
				echoed++;
			}
			m->Release();
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	sockets->CloseListenSocket(listen);
	return code;
}

int runClient(const char *where, int count, bool closeSelf, int endReason) {
	SteamNetworkingIPAddr addr;
	if (!addr.ParseString(where)) {
		say("error address %s", where);
		return 2;
	}
	HSteamNetConnection conn = sockets->ConnectByIPAddress(addr, 0, nullptr);
	if (conn == k_HSteamNetConnection_Invalid) {
		say("error connect");
		return 1;
	}
	int got = 0;
	int code = 3;
	auto deadline = std::chrono::steady_clock::now() + kDeadline;
	while (code == 3 && std::chrono::steady_clock::now() < deadline) {
		sockets->RunCallbacks();
		for (const auto &c : changes) {
			if (c.m_hConn != conn) {
				continue;
			}
			if (c.m_info.m_eState == k_ESteamNetworkingConnectionState_Connected) {
				say("connected");
				for (int i = 0; i < count; i++) {
					std::string m = numbered(i);
					sockets->SendMessageToConnection(conn, m.data(), uint32(m.size()), k_nSteamNetworkingSend_Reliable, nullptr);
				}
				continue;
			}
			switch (handleEnd(c)) {
			case Ended::byPeer: code = !closeSelf && got == count ? 0 : 1; break;
			case Ended::problem: code = 1; break;
			case Ended::no: break;
			}
		}
		changes.clear();
		SteamNetworkingMessage_t *msgs[32];
		int n = code == 3 ? sockets->ReceiveMessagesOnConnection(conn, msgs, 32) : 0;
		for (int i = 0; i < n; i++) {
			SteamNetworkingMessage_t *m = msgs[i];
			std::string want = got < count ? numbered(got) : std::string();
			if (got >= count || m->m_cbSize != int(want.size()) || std::memcmp(m->m_pData, want.data(), want.size()) != 0) {
				say("error echo %d: %d bytes", got, m->m_cbSize);
				code = 1;
			}
			got++;
			m->Release();
		}
		if (code == 3 && n > 0 && got == count) {
			say("echoes %d", got);
			if (closeSelf) {
				sockets->CloseConnection(conn, endReason, "native client done", false);
				say("closed-by-self %d", endReason);
				linger();
				code = 0;
			}
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	return code;
}

} // namespace

int main(int argc, char **argv) {
	bool server = argc == 3 && std::strcmp(argv[1], "server") == 0;
	bool client = argc >= 5 && std::strcmp(argv[1], "client") == 0 &&
	              ((argc == 6 && std::strcmp(argv[4], "close") == 0) || (argc == 5 && std::strcmp(argv[4], "wait") == 0));
	if (!server && !client) {
		std::fprintf(stderr, "usage: %s server PORT | client ADDR:PORT N close END | client ADDR:PORT N wait\n", argv[0]);
		return 2;
	}
	SteamNetworkingErrMsg err;
	if (!GameNetworkingSockets_Init(nullptr, err)) {
		say("error init %s", err);
		return 1;
	}
	sockets = SteamNetworkingSockets();
	ISteamNetworkingUtils *utils = SteamNetworkingUtils();
	// As the backend's tests configure it: IP peers without certificates,
	// short timeouts.
	utils->SetGlobalConfigValueInt32(k_ESteamNetworkingConfig_IP_AllowWithoutAuth, 2);
	utils->SetGlobalConfigValueInt32(k_ESteamNetworkingConfig_TimeoutInitial, kTimeoutMs);
	utils->SetGlobalConfigValueInt32(k_ESteamNetworkingConfig_TimeoutConnected, kTimeoutMs);
	utils->SetGlobalCallback_SteamNetConnectionStatusChanged(onStatusChanged);

	int code = server ? runServer(uint16_t(std::atoi(argv[2])))
	                  : runClient(argv[2], std::atoi(argv[3]), argc == 6, argc == 6 ? std::atoi(argv[5]) : 0);
	if (code == 3) {
		say("timeout");
	}
	say("done");
	GameNetworkingSockets_Kill();
	return code;
}

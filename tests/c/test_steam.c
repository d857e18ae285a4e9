/*
 * test_steam.c - the Steam part of the C API over the test double of
 * Valve's flat API (steamworks/testdata/fakesteam), loaded through the
 * real path: ly_steam_open dlopens it and resolves every symbol by name.
 * The double routes messages in memory between its listen sockets and
 * connections, so no Steam client is needed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <string.h>

#include "net.h"
#include "platform.h"

/* Hooks of the double, reached through the same library instance. */
static void (*fake_fail_init)(const char *msg, int code);
static long (*fake_live_messages)(void);
static void (*fake_reset)(void);
static int (*fake_config)(int key);

static void load_hooks(void)
{
    void *h = test_dlopen(FAKESTEAM_PATH);
    CHECK(h != NULL);
    *(void **)&fake_fail_init = test_dlsym(h, "FakeSteam_FailInit");
    *(void **)&fake_live_messages = test_dlsym(h, "FakeSteam_LiveMessages");
    *(void **)&fake_reset = test_dlsym(h, "FakeSteam_Reset");
    *(void **)&fake_config = test_dlsym(h, "FakeSteam_Config");
    CHECK(fake_fail_init && fake_live_messages && fake_reset && fake_config);
}

static ly_steam_config steam_config(void)
{
    ly_steam_config cfg;
    ly_steam_config_defaults(&cfg);
    cfg.flavour = LY_STEAM_STEAMWORKS;
    cfg.library_path = FAKESTEAM_PATH;
    cfg.app_id = 480;
    return cfg;
}

static void test_open_errors(void)
{
    ly_steam_config cfg = steam_config();
    cfg.library_path = "/nonexistent/libsteam_api.so";
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_STEAM_UNAVAILABLE);
    CHECK(strstr(ly_last_error(), "/nonexistent/libsteam_api.so") != NULL); /* names the path tried */
    CHECK_EQ(ly_steam_open(NULL), LY_ERR_INVALID_ARGUMENT);
    cfg = steam_config();
    cfg.struct_size = 0;
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_INVALID_ARGUMENT);
    cfg = steam_config();
    cfg.init = 99;
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_INVALID_ARGUMENT);

    /* Steam's own failure comes back with Steam's message. */
    cfg = steam_config();
    fake_fail_init("no Steam client is running (double)", 2);
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_STEAM_INIT_FAILED);
    CHECK(strstr(ly_last_error(), "no Steam client is running (double)") != NULL);
    fake_reset();

    /* Nothing open: servers and clients say so. */
    ly_steam_client_config cc;
    ly_steam_client_config_defaults(&cc);
    cc.address = "127.0.0.1:27015";
    ly_client *c = NULL;
    CHECK_EQ(ly_client_create_steam(&cc, &c), LY_ERR_STEAM_UNAVAILABLE);
    CHECK_OK(ly_steam_close()); /* closing nothing is fine */
}

static void test_exchange(void)
{
    ly_steam_config cfg = steam_config();
    CHECK_OK(ly_steam_open(&cfg));
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_ALREADY_ACTIVE);

    /* One server: netcode on UDP and Steam at once. */
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_server *s = server_start("127.0.0.1:0", 8, addr);
    ly_steam_server_config sc;
    ly_steam_server_config_defaults(&sc);
    sc.address = "127.0.0.1:27015";
    CHECK_OK(ly_server_add_steam(s, &sc));
    CHECK_EQ(ly_server_add_steam(s, &sc), LY_ERR_INVALID_ARGUMENT); /* one Steam backend */
    sc.mode = 7;
    CHECK_EQ(ly_server_add_steam(s, &sc), LY_ERR_INVALID_ARGUMENT);

    ly_steam_client_config cc;
    ly_steam_client_config_defaults(&cc);
    cc.address = "127.0.0.1:27015";
    ly_client *steam_client = NULL, *net_client = client_manual(addr, 1);
    CHECK_OK(ly_client_create_steam(&cc, &steam_client));
    CHECK_EQ(ly_client_set_token(steam_client, (const uint8_t *)"x", 1), LY_ERR_INVALID_ARGUMENT);
    CHECK_OK(ly_client_connect(steam_client));
    CHECK_OK(ly_client_connect(net_client));
    ly_client *both[2] = {steam_client, net_client};
    pump_connected(s, both, 2);

    /* Both kinds are connected; find the Steam id the server gave. */
    ly_client_id ids[4];
    CHECK_EQ(ly_server_connected_ids(s, ids, 4), 2);
    ly_client_id steam_id = ids[0].kind == LY_KIND_STEAM ? ids[0] : ids[1];
    CHECK_EQ(steam_id.kind, LY_KIND_STEAM);

    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    ly_event ev;
    /* Drain the two connected events. */
    for (int got = 0; got < 2;) {
        int r = ly_server_poll(s, &ev, buf, sizeof buf);
        CHECK(r >= 0);
        if (r == 1) {
            CHECK_EQ(ev.type, LY_EVENT_CONNECTED);
            got++;
        } else {
            pump_once(s, both, 2, TEST_DT);
        }
    }

    CHECK_OK(ly_client_send(steam_client, (const uint8_t *)"over steam", 10));
    wait_event(s, both, 2, &ev, buf, sizeof buf);
    CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
    CHECK_EQ(ev.client.kind, LY_KIND_STEAM);
    CHECK_EQ(ev.payload_size, 10);
    CHECK(memcmp(buf, "over steam", 10) == 0);

    CHECK_OK(ly_server_send(s, steam_id, (const uint8_t *)"back", 4));
    CHECK_EQ(wait_receive(s, both, 2, steam_client, buf, sizeof buf), 4);
    CHECK(memcmp(buf, "back", 4) == 0);
    CHECK_EQ(ly_client_receive(net_client, buf, sizeof buf, NULL), 0); /* routed to Steam only */

    ly_stats st;
    st.struct_size = sizeof st;
    CHECK_OK(ly_server_client_stats(s, steam_id, &st));
    CHECK_EQ(st.packets_received, 1);
    CHECK_EQ(st.bytes_received, 10);

    /* The client leaves: the server sees it go. */
    CHECK_OK(ly_client_disconnect(steam_client));
    wait_event(s, both, 2, &ev, buf, sizeof buf);
    CHECK_EQ(ev.type, LY_EVENT_DISCONNECTED);
    CHECK_EQ(ev.client.kind, LY_KIND_STEAM);
    CHECK_EQ(ev.reason, LY_REASON_REMOTE);

    CHECK_OK(ly_client_destroy(steam_client));
    CHECK_OK(ly_client_destroy(net_client));
    CHECK_OK(ly_server_destroy(s));
    CHECK_EQ(fake_live_messages(), 0); /* every Steam message was released */
    CHECK_OK(ly_steam_close());
}

/* Closing Steam takes the Steam backend out of a server, which goes on
 * serving its netcode clients; the Steam clients see the server stop. */
static void test_close_keeps_server(void)
{
    ly_steam_config cfg = steam_config();
    CHECK_OK(ly_steam_open(&cfg));
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_server *s = server_start("127.0.0.1:0", 8, addr);
    ly_steam_server_config sc;
    ly_steam_server_config_defaults(&sc);
    sc.address = "127.0.0.1:27016";
    sc.max_payload = LY_MAX_PAYLOAD_SIZE + 1;
    CHECK_EQ(ly_server_add_steam(s, &sc), LY_ERR_INVALID_ARGUMENT);
    sc.max_payload = 0;
    CHECK_EQ(ly_server_add_steam(NULL, &sc), LY_ERR_INVALID_HANDLE);
    CHECK_OK(ly_server_add_steam(s, &sc));

    ly_steam_client_config cc;
    ly_steam_client_config_defaults(&cc);
    cc.address = "127.0.0.1:27016";
    ly_client *sclient = NULL, *nclient = client_manual(addr, 5);
    CHECK_OK(ly_client_create_steam(&cc, &sclient));
    CHECK_OK(ly_client_connect(sclient));
    CHECK_OK(ly_client_connect(nclient));
    ly_client *both[2] = {sclient, nclient};
    pump_connected(s, both, 2);

    CHECK_OK(ly_steam_close());
    ly_event ev;
    uint8_t buf[LY_MAX_PAYLOAD_SIZE];
    int steam_gone = 0, r;
    while ((r = ly_server_poll(s, &ev, buf, sizeof buf)) == 1)
        if (ev.type == LY_EVENT_DISCONNECTED && ev.client.kind == LY_KIND_STEAM) {
            CHECK_EQ(ev.reason, LY_REASON_SERVER_STOPPED);
            steam_gone = 1;
        }
    CHECK_EQ(r, 0);
    CHECK(steam_gone);
    CHECK_OK(ly_server_update(s, TEST_DT)); /* still serving */
    CHECK_EQ(ly_server_num_connected(s), 1);
    CHECK_OK(ly_client_send(nclient, (const uint8_t *)"still here", 10));
    wait_event(s, &nclient, 1, &ev, buf, sizeof buf);
    CHECK_EQ(ev.type, LY_EVENT_PAYLOAD);
    (void)ly_client_update(sclient, TEST_DT); /* its Steam is gone: any code, no crash */
    CHECK_OK(ly_client_destroy(sclient));
    CHECK_OK(ly_client_destroy(nclient));
    CHECK_OK(ly_server_stop(s));
    CHECK_OK(ly_server_start(s));
    CHECK_OK(ly_server_destroy(s));
}

/* ESteamNetworkingConfigValue keys of the options (steamnetworkingtypes.h). */
enum {
    STEAM_CONFIG_SEND_BUFFER_SIZE = 9,
    STEAM_CONFIG_SEND_RATE_MIN = 10,
    STEAM_CONFIG_SEND_RATE_MAX = 11,
    STEAM_CONFIG_IP_ALLOW_WITHOUT_AUTH = 23,
    STEAM_CONFIG_TIMEOUT_INITIAL = 24,
    STEAM_CONFIG_TIMEOUT_CONNECTED = 25,
};

/* The connection options added in 0.2: a caller built before them
 * passes a struct_size that ends before them, which still opens (and
 * whatever lies past it is not read); values Steam cannot take are
 * refused before anything is loaded. */
/* The struct grew: a program built against the first release calls the
 * exported ly_steam_config_defaults with its smaller struct, which must not
 * be written past; this header's callers get every field. */
static void test_defaults_sizes(void)
{
    const size_t v1 = offsetof(ly_steam_config, allow_ip_without_auth);
    union {
        ly_steam_config cfg;
        unsigned char bytes[sizeof(ly_steam_config) + 16];
    } u;
    size_t i;

    memset(&u, 0xAB, sizeof u);
    (ly_steam_config_defaults)(&u.cfg); /* the exported symbol, not the macro */
    CHECK_EQ(u.cfg.struct_size, (uint32_t)v1);
    CHECK_EQ(u.cfg.flavour, LY_STEAM_AUTO);
    for (i = v1; i < sizeof u.bytes; i++)
        CHECK_EQ(u.bytes[i], 0xAB);

    memset(&u, 0xAB, sizeof u);
    ly_steam_config_defaults(&u.cfg); /* the macro: this header's size */
    CHECK_EQ(u.cfg.struct_size, (uint32_t)sizeof(ly_steam_config));
    CHECK_EQ(u.cfg.send_buffer_size, 0u);
    for (i = sizeof(ly_steam_config); i < sizeof u.bytes; i++)
        CHECK_EQ(u.bytes[i], 0xAB);

    memset(&u, 0xAB, sizeof u);
    ly_steam_config_defaults_sized(&u.cfg, (uint32_t)v1 - 1); /* below the first release: nothing */
    CHECK_EQ(u.bytes[0], 0xAB);
    ly_steam_config_defaults_sized(&u.cfg, (uint32_t)sizeof u.bytes); /* larger than ours: ours */
    CHECK_EQ(u.cfg.struct_size, (uint32_t)sizeof(ly_steam_config));
    CHECK_EQ(u.bytes[sizeof(ly_steam_config)], 0xAB);
    ly_steam_config_defaults_sized(NULL, (uint32_t)sizeof(ly_steam_config));

    /* What the old filler leaves opens Steam with Steam's own options. */
    memset(&u, 0, sizeof u);
    (ly_steam_config_defaults)(&u.cfg);
    u.cfg.flavour = LY_STEAM_STEAMWORKS;
    u.cfg.library_path = FAKESTEAM_PATH;
    u.cfg.app_id = 480;
    fake_reset();
    CHECK_OK(ly_steam_open(&u.cfg));
    CHECK_OK(ly_steam_close());
}

static void test_connection_options(void)
{
    ly_steam_config cfg = steam_config();
    cfg.struct_size = (uint32_t)offsetof(ly_steam_config, allow_ip_without_auth);
    cfg.debug_output_level = 9; /* out of range, but past the old struct's end */
    cfg.timeout_initial_ms = 1234;
    fake_reset();
    CHECK_OK(ly_steam_open(&cfg));
    CHECK_EQ(fake_config(STEAM_CONFIG_TIMEOUT_INITIAL), 0); /* not read: Steam's own value stays */
    CHECK_OK(ly_steam_close());
    cfg.struct_size = (uint32_t)offsetof(ly_steam_config, allow_ip_without_auth) - 1;
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_INVALID_ARGUMENT);

    cfg = steam_config();
    cfg.debug_output_level = 9;
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ly_last_error(), "debug_output_level") != NULL);
    cfg = steam_config();
    cfg.send_rate_min = 2000000;
    cfg.send_rate_max = 1000000;
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ly_last_error(), "send_rate_min") != NULL);
    cfg = steam_config();
    cfg.timeout_initial_ms = 0x80000000u; /* Steam's values are int32 */
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ly_last_error(), "timeout_initial_ms") != NULL);
    cfg = steam_config();
    cfg.timeout_connected_ms = UINT32_MAX;
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_INVALID_ARGUMENT);
    cfg = steam_config();
    cfg.send_buffer_size = 0x80000000u;
    CHECK_EQ(ly_steam_open(&cfg), LY_ERR_INVALID_ARGUMENT);

    /* The largest values, and a minimum rate with no maximum, are taken. */
    cfg = steam_config();
    cfg.allow_ip_without_auth = 1;
    cfg.timeout_initial_ms = 0x7fffffff;
    cfg.timeout_connected_ms = 0x7fffffff;
    cfg.debug_output_level = 8;
    cfg.send_rate_min = 3000000;
    cfg.send_buffer_size = 0x7fffffff;
    fake_reset();
    CHECK_OK(ly_steam_open(&cfg));
    /* They reach Steam's global config (the double records it). */
    CHECK_EQ(fake_config(STEAM_CONFIG_IP_ALLOW_WITHOUT_AUTH), 2);
    CHECK_EQ(fake_config(STEAM_CONFIG_TIMEOUT_INITIAL), 0x7fffffff);
    CHECK_EQ(fake_config(STEAM_CONFIG_TIMEOUT_CONNECTED), 0x7fffffff);
    CHECK_EQ(fake_config(STEAM_CONFIG_SEND_RATE_MIN), 3000000);
    CHECK_EQ(fake_config(STEAM_CONFIG_SEND_RATE_MAX), 0); /* 0: Steam's own */
    CHECK_EQ(fake_config(STEAM_CONFIG_SEND_BUFFER_SIZE), 0x7fffffff);
    CHECK_OK(ly_steam_close());
}

/* ly_server_connection_status and ly_client_connection_status: the
 * double's made-up status comes through, and every argument error. */
static void test_connection_status(void)
{
    ly_steam_config cfg = steam_config();
    ly_connection_status st;
    st.struct_size = sizeof st;
    CHECK_EQ(ly_server_connection_status(NULL, (ly_client_id){1, LY_KIND_STEAM, 0}, &st), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_client_connection_status(NULL, &st), LY_ERR_INVALID_HANDLE);

    CHECK_OK(ly_steam_open(&cfg));
    char addr[LY_ADDRESS_STRING_SIZE];
    ly_server *s = server_start("127.0.0.1:0", 8, addr);
    ly_client_id unknown = {77, LY_KIND_STEAM, 0};
    CHECK_EQ(ly_server_connection_status(s, unknown, &st), LY_ERR_UNKNOWN_CLIENT); /* no Steam backend yet */
    ly_steam_server_config sc;
    ly_steam_server_config_defaults(&sc);
    sc.address = "127.0.0.1:27017";
    CHECK_OK(ly_server_add_steam(s, &sc));
    ly_steam_client_config cc;
    ly_steam_client_config_defaults(&cc);
    cc.address = "127.0.0.1:27017";
    ly_client *c = NULL, *net = client_manual(addr, 9);
    CHECK_OK(ly_client_create_steam(&cc, &c));
    CHECK_EQ(ly_client_connection_status(c, &st), LY_ERR_NOT_CONNECTED); /* idle */
    CHECK_OK(ly_client_connect(c));
    CHECK_OK(ly_client_connect(net));
    ly_client *both[2] = {c, net};
    pump_connected(s, both, 2);
    ly_client_id ids[2];
    CHECK_EQ(ly_server_connected_ids(s, ids, 2), 2);
    ly_client_id steam_id = ids[0].kind == LY_KIND_STEAM ? ids[0] : ids[1];
    ly_client_id net_id = ids[0].kind == LY_KIND_STEAM ? ids[1] : ids[0];
    CHECK_EQ(net_id.kind, LY_KIND_NETCODE);

    memset(&st, 0xff, sizeof st);
    st.struct_size = sizeof st;
    CHECK_OK(ly_server_connection_status(s, steam_id, &st));
    CHECK_EQ(st.struct_size, sizeof st);
    CHECK_EQ(st.state, 3);
    CHECK_EQ(st.ping_ms, 7);
    CHECK_EQ(st.send_rate_bytes_per_sec, 256000);
    CHECK_EQ(st.queue_time_us, 1500);
    CHECK_EQ(st.reserved, 0);
    memset(&st, 0xff, sizeof st);
    st.struct_size = sizeof st;
    CHECK_OK(ly_client_connection_status(c, &st));
    CHECK_EQ(st.state, 3);
    CHECK_EQ(st.ping_ms, 7);

    /* Argument errors, before handle errors. */
    CHECK_EQ(ly_server_connection_status(s, steam_id, NULL), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_connection_status(c, NULL), LY_ERR_INVALID_ARGUMENT);
    st.struct_size = sizeof st - 1;
    CHECK_EQ(ly_server_connection_status(s, steam_id, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_connection_status(c, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_connection_status(NULL, steam_id, &st), LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_client_connection_status(NULL, &st), LY_ERR_INVALID_ARGUMENT);
    st.struct_size = sizeof st;
    CHECK_EQ(ly_server_connection_status(s, net_id, &st), LY_ERR_INVALID_ARGUMENT); /* connected, but netcode */
    CHECK_EQ(ly_server_connection_status(s, (ly_client_id){steam_id.id, LY_KIND_LOCAL, 0}, &st),
             LY_ERR_INVALID_ARGUMENT);
    CHECK_EQ(ly_server_connection_status(s, unknown, &st), LY_ERR_UNKNOWN_CLIENT);
    CHECK_EQ(ly_client_connection_status(net, &st), LY_ERR_INVALID_ARGUMENT);

    /* After ly_steam_close the Steam client's handle refuses. */
    CHECK_OK(ly_steam_close());
    CHECK_EQ(ly_client_connection_status(c, &st), LY_ERR_INVALID_HANDLE);
    CHECK_EQ(ly_server_connection_status(s, steam_id, &st), LY_ERR_UNKNOWN_CLIENT);
    CHECK_OK(ly_client_destroy(c));
    CHECK_OK(ly_client_destroy(net));
    CHECK_OK(ly_server_destroy(s));
}

/* ly_shutdown closes Steam too, so the library can be opened again. */
static void test_shutdown_closes_steam(void)
{
    ly_steam_config cfg = steam_config();
    CHECK_OK(ly_steam_open(&cfg));
    CHECK_OK(ly_shutdown());
    CHECK_OK(ly_steam_open(&cfg));
    CHECK_OK(ly_steam_close());
}

int main(void)
{
    load_hooks();
    test_open_errors();
    test_exchange();
    test_close_keeps_server();
    test_defaults_sizes();
    test_connection_options();
    test_connection_status();
    test_shutdown_closes_steam();
    return check_summary("test_steam");
}

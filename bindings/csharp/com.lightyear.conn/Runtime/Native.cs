// Native.cs - the P/Invoke layer: one declaration per function of
// include/lightyear_conn.h, and the structs of the header with the same
// layout (checked against the C compiler by the tests).
//
// Conventions of this file:
//  - Every function is a plain [DllImport] with Cdecl; pointers are
//    unsafe pointers into pinned managed memory (no marshalling, no copy,
//    no garbage), strings go in as NUL-terminated UTF-8 byte arrays and come
//    out through Utf8 (no LPUTF8Str: old Mono/Unity runtimes lack it).
//  - Handles are owned by ServerHandle/ClientHandle (SafeHandle): the
//    create functions return them as out parameters, and their finalizer
//    frees a handle nobody disposed (ReleaseHandle calls *_destroy, which
//    take the raw IntPtr). Every other function takes the raw IntPtr value:
//    the native side validates handles through a table with generation
//    counters and serialises calls on a handle, so a call racing with a
//    Dispose either completes first or returns LY_ERR_INVALID_HANDLE, never
//    touches freed memory. That makes the reference counting the runtime
//    does for SafeHandle parameters (10-60 ns a call on Mono 6.8,
//    measured by bench/Bench.cs)
//    unnecessary. The wrappers keep the owning object alive across each call
//    (the error check after it is an instance method) and turn
//    LY_ERR_INVALID_HANDLE on a disposed object into ObjectDisposedException.
//  - ClientId and ServerEvent (Types.cs) are public structs that ARE the
//    ly_client_id and ly_event layouts, so event arrays go to
//    ly_server_poll_batch as they are.
using System;
using System.Runtime.InteropServices;
using System.Security;

namespace Lightyear.Conn
{
    [SuppressUnmanagedCodeSecurity]
    internal static unsafe class Native
    {
#if UNITY_IOS && !UNITY_EDITOR
        internal const string Lib = "__Internal";
#else
        internal const string Lib = "lightyear_conn";
#endif

        // The header's constants.
        internal const int LY_VERSION_MAJOR = 0;
        internal const int LY_VERSION_MINOR = 1;
        internal const int LY_VERSION_PATCH = 0;
        internal const int LY_KEY_SIZE = 32;
        internal const int LY_CONNECT_TOKEN_SIZE = 2048;
        internal const int LY_USER_DATA_SIZE = 256;
        internal const int LY_MAX_PAYLOAD_SIZE = 1200;
        internal const int LY_MAX_SERVER_ADDRESSES = 32;
        internal const int LY_ADDRESS_STRING_SIZE = 64;
        internal const ulong LY_NEVER_EXPIRES = ulong.MaxValue;
        internal const int LY_TOKEN_PENDING = 0;
        internal const int LY_FLEET_PENDING = 0;
        internal const int LY_FLEET_REGISTERED = 1;
        internal const int LY_WEB_CERT_HASH_SIZE = 32;

        // ---------------------------------------------------------------
        // Structs that may grow: struct_size first (set it with sizeof).

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_token_params
        {
            public uint struct_size;
            public ulong protocol_id;
            public ulong client_id;
            public byte* private_key;
            public byte* public_addresses;
            public byte* internal_addresses;
            public long expire_seconds;
            public int timeout_seconds;
            public byte* user_data;
            public uint user_data_size;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_token_info
        {
            public uint struct_size;
            public ulong protocol_id;
            public ulong create_timestamp;
            public ulong expire_timestamp;
            public int timeout_seconds;
            public uint num_addresses;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_server_config
        {
            public uint struct_size;
            public ulong protocol_id;
            public fixed byte private_key[LY_KEY_SIZE];
            public byte* bind_addresses;
            public byte* public_addresses;
            public uint max_clients;
            public uint batch_sends;
            public int max_token_lifetime_seconds;
            public uint token_history_size;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_client_config
        {
            public uint struct_size;
            public ulong client_id;
            public uint receive_queue_size;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_conditioner_config
        {
            public uint struct_size;
            public uint reserved;
            public double latency_ms;
            public double jitter_ms;
            public double loss;
            public double duplicate;
            public double reorder;
            public double reorder_delay_ms;
            public ulong seed;
            public uint burst_model;
            public uint reserved2;
            public double burst_p;
            public double burst_r;
            public double burst_loss_good;
            public double burst_loss_bad;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_stats
        {
            public uint struct_size;
            public uint reserved;
            public ulong packets_sent;
            public ulong packets_received;
            public ulong bytes_sent;
            public ulong bytes_received;
            public ulong dropped_malformed;
            public ulong dropped_replayed;
            public ulong dropped_decrypt_failed;
            public ulong dropped_unknown_address;
            public ulong dropped_queue_full;
            public ulong dropped_rejected;
            public double seconds_since_last_receive;
            public ulong dropped_oversized;
            public ulong dropped_table_full;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_steam_config
        {
            public uint struct_size;
            public uint flavour;                // ly_steam_flavour
            public uint init;                   // ly_steam_init
            public uint app_id;
            public byte* library_path;
            public byte* game_server_ip;
            public ushort game_port;
            public ushort query_port;
            public byte* game_server_version;
            public uint allow_ip_without_auth;
            public uint timeout_initial_ms;
            public uint timeout_connected_ms;
            public uint debug_output_level;
            public uint send_rate_min;
            public uint send_rate_max;
            public uint send_buffer_size;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_steam_server_config
        {
            public uint struct_size;
            public uint mode;                   // ly_steam_mode
            public byte* address;
            public int virtual_port;
            public uint max_clients;
            public uint max_payload;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_steam_client_config
        {
            public uint struct_size;
            public uint mode;                   // ly_steam_mode
            public byte* address;
            public ulong server_steam_id;
            public int virtual_port;
            public uint max_payload;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_token_fetch_options
        {
            public uint struct_size;
            public byte* url;
            public byte* credential;
            public byte* pin_sha256;
            public byte* ca_file;
            public byte* tag;
            public uint timeout_ms;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_fleet_config
        {
            public uint struct_size;
            public byte* redis_url;
            public byte* key_prefix;
            public byte* server_id;
            public byte* tags;
            public byte* public_addresses;
            public uint ttl_ms;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_web_options
        {
            public uint struct_size;
            public uint cert_validity_seconds;
            public byte* cert_file;
            public byte* key_file;
            public byte* allowed_origins;
            public byte* path;
            public uint max_sessions;
            public uint max_sessions_per_ip;
            public uint recv_queue;
            public uint session_recv_queue;
            public uint send_queue;
            public uint handshake_timeout_ms;
            public uint idle_timeout_ms;
            public uint write_timeout_ms;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_web_stats
        {
            public uint struct_size;
            public uint reserved;
            public ulong sessions_active;
            public ulong sessions_accepted;
            public ulong refused_full;
            public ulong refused_per_ip;
            public ulong refused_origin;
            public ulong refused_handshake;
            public ulong closed_idle;
            public ulong closed_slow;
            public ulong closed_peer;
            public ulong closed_server;
            public ulong received;
            public ulong recv_oversized;
            public ulong recv_text;
            public ulong recv_queue_full;
            public ulong sent;
            public ulong send_no_session;
            public ulong send_oversized;
            public ulong send_queue_full;
            public ulong send_failed;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ly_connection_status
        {
            public uint struct_size;
            public int state;
            public int ping_ms;
            public float quality_local;
            public float quality_remote;
            public float out_packets_per_sec;
            public float out_bytes_per_sec;
            public float in_packets_per_sec;
            public float in_bytes_per_sec;
            public int send_rate_bytes_per_sec;
            public int pending_unreliable;
            public int pending_reliable;
            public int sent_unacked_reliable;
            public int reserved;
            public long queue_time_us;
        }

        // ---------------------------------------------------------------
        // Version, errors, lifetime

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint ly_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ly_error_string(int code);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ly_last_error();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_shutdown();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ly_state_string(int state);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr ly_reason_string(int reason);

        // ---------------------------------------------------------------
        // Keys and connect tokens

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_key_generate(byte* key);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ly_token_params_defaults(ly_token_params* p);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_token_generate(ly_token_params* p, byte* output, uint outputSize);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_token_read(byte* token, uint tokenSize, ly_token_info* info);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_token_address(byte* token, uint tokenSize, uint index, byte* buf, uint bufSize);

        // ---------------------------------------------------------------
        // Fetching a connect token

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ly_token_fetch_options_defaults(ly_token_fetch_options* options);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_token_fetch(ly_token_fetch_options* options, byte* output, uint outputSize);

        // The request handle is a raw IntPtr owned by TokenRequestHandle:
        // start returns it through the SafeHandle out parameter.
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_token_request_start(ly_token_fetch_options* options, out TokenRequestHandle request);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_token_request_poll(IntPtr request, byte* output, uint outputSize);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_token_request_free(IntPtr request);

        // ---------------------------------------------------------------
        // Server

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ly_server_config_defaults(ly_server_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_create(ly_server_config* config, out ServerHandle server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_destroy(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_start(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_stop(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_running(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_update(IntPtr server, double dtSeconds);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_send(IntPtr server, ClientId client, byte* data, uint size);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_broadcast(IntPtr server, byte* data, uint size);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_flush(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_disconnect(IntPtr server, ClientId client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_disconnect_all(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_num_connected(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_max_clients(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_connected_ids(IntPtr server, ClientId* ids, uint maxIds);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_client_address(IntPtr server, ClientId client, byte* buf, uint bufSize);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_client_user_data(IntPtr server, ClientId client, byte* userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_address(IntPtr server, uint index, byte* buf, uint bufSize);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_connect_local(IntPtr server, ulong id, out ClientHandle client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        // The sized filler: ly_conditioner_config grew (burst loss), and the
        // library writes no more than the size given.
        internal static extern int ly_conditioner_preset_config_sized(int preset, ly_conditioner_config* config, uint size);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_set_conditioner(IntPtr server, ly_conditioner_config* send, ly_conditioner_config* recv);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_stats(IntPtr server, ly_stats* stats);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_client_stats(IntPtr server, ClientId client, ly_stats* stats);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_poll(IntPtr server, ServerEvent* ev, byte* buf, uint bufSize);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_poll_batch(IntPtr server, ServerEvent* events, uint maxEvents, byte* buf, uint bufSize);

        // ---------------------------------------------------------------
        // Fleet registration

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ly_fleet_config_defaults(ly_fleet_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_fleet_register(IntPtr server, ly_fleet_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_fleet_deregister(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_fleet_status(IntPtr server);

        // ---------------------------------------------------------------
        // Browser transports

        // The sized filler: the library writes no more than the size given,
        // so a binding built against this version stays safe if the struct grows.
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ly_web_options_defaults_sized(ly_web_options* options, uint size);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_set_web_options(IntPtr server, ly_web_options* options);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_web_cert_hashes(IntPtr server, byte* hashes, uint maxHashes, uint* count);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_web_rotate_cert(IntPtr server);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_web_stats(IntPtr server, ly_web_stats* stats);

        // ---------------------------------------------------------------
        // Steam

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        // The sized filler: ly_steam_config grew, and the library writes no
        // more than the size given (the plain ly_steam_config_defaults fills
        // only the first release's fields).
        internal static extern void ly_steam_config_defaults_sized(ly_steam_config* config, uint size);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_steam_open(ly_steam_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_steam_close();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ly_steam_server_config_defaults(ly_steam_server_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_add_steam(IntPtr server, ly_steam_server_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ly_steam_client_config_defaults(ly_steam_client_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_create_steam(ly_steam_client_config* config, out ClientHandle client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_server_connection_status(IntPtr server, ClientId client, ly_connection_status* status);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_connection_status(IntPtr client, ly_connection_status* status);

        // ---------------------------------------------------------------
        // Client

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void ly_client_config_defaults(ly_client_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_create(byte* token, uint tokenSize, ly_client_config* config, out ClientHandle client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_create_manual(byte* serverAddress, ulong clientId, ulong protocolId,
                                                           byte* privateKey, uint privateKeySize,
                                                           ly_client_config* config, out ClientHandle client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_destroy(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_connect(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_set_token(IntPtr client, byte* token, uint tokenSize);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_update(IntPtr client, double dtSeconds);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_send(IntPtr client, byte* data, uint size);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_receive(IntPtr client, byte* buf, uint bufSize, uint* needed);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_get_state(IntPtr client, int* state);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_disconnect_reason(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_disconnect(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_local_address(IntPtr client, byte* buf, uint bufSize);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_set_conditioner(IntPtr client, ly_conditioner_config* send, ly_conditioner_config* recv);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_stats(IntPtr client, ly_stats* stats);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ly_client_id_of(IntPtr client, ClientId* id);
    }
}

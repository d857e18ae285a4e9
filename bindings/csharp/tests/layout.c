/* layout.c - prints the size of every struct in lightyear_conn.h and the
 * offset of every field, as the C compiler lays them out. The C# tests
 * compare them with Marshal.SizeOf / Marshal.OffsetOf of the P/Invoke
 * structs. Output lines: "S <struct> <size>" and "F <struct> <field> <offset>". */
#include <stddef.h>
#include <stdio.h>

#include "lightyear_conn.h"

#define S(t) printf("S %s %zu\n", #t, sizeof(t))
#define F(t, f) printf("F %s %s %zu\n", #t, #f, offsetof(t, f))

int main(void)
{
    S(ly_client_id);
    F(ly_client_id, id); F(ly_client_id, kind); F(ly_client_id, reserved);

    S(ly_event);
    F(ly_event, type); F(ly_event, reason); F(ly_event, client);
    F(ly_event, payload_size); F(ly_event, payload_offset);

    S(ly_token_params);
    F(ly_token_params, struct_size); F(ly_token_params, protocol_id); F(ly_token_params, client_id);
    F(ly_token_params, private_key); F(ly_token_params, public_addresses); F(ly_token_params, internal_addresses);
    F(ly_token_params, expire_seconds); F(ly_token_params, timeout_seconds); F(ly_token_params, user_data);
    F(ly_token_params, user_data_size);

    S(ly_token_info);
    F(ly_token_info, struct_size); F(ly_token_info, protocol_id); F(ly_token_info, create_timestamp);
    F(ly_token_info, expire_timestamp); F(ly_token_info, timeout_seconds); F(ly_token_info, num_addresses);

    S(ly_server_config);
    F(ly_server_config, struct_size); F(ly_server_config, protocol_id); F(ly_server_config, private_key);
    F(ly_server_config, bind_addresses); F(ly_server_config, public_addresses); F(ly_server_config, max_clients);
    F(ly_server_config, batch_sends); F(ly_server_config, max_token_lifetime_seconds);

    S(ly_client_config);
    F(ly_client_config, struct_size); F(ly_client_config, client_id); F(ly_client_config, receive_queue_size);

    S(ly_conditioner_config);
    F(ly_conditioner_config, struct_size); F(ly_conditioner_config, reserved); F(ly_conditioner_config, latency_ms);
    F(ly_conditioner_config, jitter_ms); F(ly_conditioner_config, loss); F(ly_conditioner_config, duplicate);
    F(ly_conditioner_config, reorder); F(ly_conditioner_config, reorder_delay_ms); F(ly_conditioner_config, seed);
    F(ly_conditioner_config, burst_model); F(ly_conditioner_config, reserved2); F(ly_conditioner_config, burst_p);
    F(ly_conditioner_config, burst_r); F(ly_conditioner_config, burst_loss_good); F(ly_conditioner_config, burst_loss_bad);

    S(ly_stats);
    F(ly_stats, struct_size); F(ly_stats, reserved); F(ly_stats, packets_sent); F(ly_stats, packets_received);
    F(ly_stats, bytes_sent); F(ly_stats, bytes_received); F(ly_stats, dropped_malformed);
    F(ly_stats, dropped_replayed); F(ly_stats, dropped_decrypt_failed); F(ly_stats, dropped_unknown_address);
    F(ly_stats, dropped_queue_full); F(ly_stats, dropped_rejected); F(ly_stats, seconds_since_last_receive);
    F(ly_stats, dropped_oversized); F(ly_stats, dropped_table_full);

    S(ly_steam_config);
    F(ly_steam_config, struct_size); F(ly_steam_config, flavour); F(ly_steam_config, init);
    F(ly_steam_config, app_id); F(ly_steam_config, library_path); F(ly_steam_config, game_server_ip);
    F(ly_steam_config, game_port); F(ly_steam_config, query_port); F(ly_steam_config, game_server_version);
    F(ly_steam_config, allow_ip_without_auth); F(ly_steam_config, timeout_initial_ms);
    F(ly_steam_config, timeout_connected_ms); F(ly_steam_config, debug_output_level);
    F(ly_steam_config, send_rate_min); F(ly_steam_config, send_rate_max); F(ly_steam_config, send_buffer_size);

    S(ly_connection_status);
    F(ly_connection_status, struct_size); F(ly_connection_status, state); F(ly_connection_status, ping_ms);
    F(ly_connection_status, quality_local); F(ly_connection_status, quality_remote);
    F(ly_connection_status, out_packets_per_sec); F(ly_connection_status, out_bytes_per_sec);
    F(ly_connection_status, in_packets_per_sec); F(ly_connection_status, in_bytes_per_sec);
    F(ly_connection_status, send_rate_bytes_per_sec); F(ly_connection_status, pending_unreliable);
    F(ly_connection_status, pending_reliable); F(ly_connection_status, sent_unacked_reliable);
    F(ly_connection_status, reserved); F(ly_connection_status, queue_time_us);

    S(ly_steam_server_config);
    F(ly_steam_server_config, struct_size); F(ly_steam_server_config, mode); F(ly_steam_server_config, address);
    F(ly_steam_server_config, virtual_port); F(ly_steam_server_config, max_clients); F(ly_steam_server_config, max_payload);

    S(ly_steam_client_config);
    F(ly_steam_client_config, struct_size); F(ly_steam_client_config, mode); F(ly_steam_client_config, address);
    F(ly_steam_client_config, server_steam_id); F(ly_steam_client_config, virtual_port); F(ly_steam_client_config, max_payload);

    S(ly_token_fetch_options);
    F(ly_token_fetch_options, struct_size); F(ly_token_fetch_options, url); F(ly_token_fetch_options, credential);
    F(ly_token_fetch_options, pin_sha256); F(ly_token_fetch_options, ca_file); F(ly_token_fetch_options, tag);
    F(ly_token_fetch_options, timeout_ms);

    S(ly_fleet_config);
    F(ly_fleet_config, struct_size); F(ly_fleet_config, redis_url); F(ly_fleet_config, key_prefix);
    F(ly_fleet_config, server_id); F(ly_fleet_config, tags); F(ly_fleet_config, public_addresses);
    F(ly_fleet_config, ttl_ms);

    S(ly_web_options);
    F(ly_web_options, struct_size); F(ly_web_options, cert_validity_seconds); F(ly_web_options, cert_file);
    F(ly_web_options, key_file); F(ly_web_options, allowed_origins); F(ly_web_options, path);
    F(ly_web_options, max_sessions); F(ly_web_options, max_sessions_per_ip); F(ly_web_options, recv_queue);
    F(ly_web_options, session_recv_queue); F(ly_web_options, send_queue); F(ly_web_options, handshake_timeout_ms);
    F(ly_web_options, idle_timeout_ms); F(ly_web_options, write_timeout_ms);

    S(ly_web_stats);
    F(ly_web_stats, struct_size); F(ly_web_stats, reserved); F(ly_web_stats, sessions_active);
    F(ly_web_stats, sessions_accepted); F(ly_web_stats, refused_full); F(ly_web_stats, refused_per_ip);
    F(ly_web_stats, refused_origin); F(ly_web_stats, refused_handshake); F(ly_web_stats, closed_idle);
    F(ly_web_stats, closed_slow); F(ly_web_stats, closed_peer); F(ly_web_stats, closed_server);
    F(ly_web_stats, received); F(ly_web_stats, recv_oversized); F(ly_web_stats, recv_text);
    F(ly_web_stats, recv_queue_full); F(ly_web_stats, sent); F(ly_web_stats, send_no_session);
    F(ly_web_stats, send_oversized); F(ly_web_stats, send_queue_full); F(ly_web_stats, send_failed);
    return 0;
}

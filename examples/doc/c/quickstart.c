/* The program of README.md, "C quick start" (scripts/check-doc-snippets.sh
 * checks that the two agree, then compiles and links it). */
#define _POSIX_C_SOURCE 199309L /* nanosleep */
#include <lightyear_conn.h>
#include <stdio.h>
#include <time.h>

int main(void)
{
    ly_server_config cfg;
    ly_server_config_defaults(&cfg);                 /* struct_size and defaults */
    cfg.protocol_id = 0x1234;
    ly_key_generate(cfg.private_key);                /* share it with your token backend */
    cfg.bind_addresses = "127.0.0.1:40000";
    ly_server *server;
    if (ly_server_create(&cfg, &server) != LY_OK || ly_server_start(server) != LY_OK) {
        fprintf(stderr, "%s\n", ly_last_error());
        return 1;
    }

    /* Backend: a 2048-byte token per client, sent over TLS. */
    ly_token_params tp;
    ly_token_params_defaults(&tp);
    tp.protocol_id = 0x1234; tp.client_id = 42; tp.private_key = cfg.private_key;
    tp.public_addresses = "127.0.0.1:40000";
    uint8_t token[LY_CONNECT_TOKEN_SIZE];
    ly_token_generate(&tp, token, sizeof token);

    ly_client *client;
    ly_client_create(token, sizeof token, NULL, &client);
    ly_client_connect(client);

    const double dt = 1.0 / 60;                      /* seconds: the updates take a double */
    const struct timespec tick = {0, 1000000000 / 60};
    for (int echoes = 0; echoes < 10; nanosleep(&tick, NULL)) {   /* your game loop */
        ly_client_update(client, dt);
        ly_server_update(server, dt);
        ly_event events[64];
        uint8_t payloads[64 * LY_MAX_PAYLOAD_SIZE];
        int n = ly_server_poll_batch(server, events, 64, payloads, sizeof payloads);
        for (int i = 0; i < n; i++)
            if (events[i].type == LY_EVENT_PAYLOAD)  /* echo it */
                ly_server_send(server, events[i].client, payloads + events[i].payload_offset,
                               events[i].payload_size);

        uint8_t buf[LY_MAX_PAYLOAD_SIZE];
        int size;
        while ((size = ly_client_receive(client, buf, sizeof buf, NULL)) > 0)
            printf("echo: %.*s\n", size, (const char *)buf), echoes++;
        int state;
        if (ly_client_get_state(client, &state) == LY_OK && state == LY_STATE_CONNECTED)
            ly_client_send(client, (const uint8_t *)"hello", 5);
    }
    ly_client_destroy(client);
    ly_server_destroy(server);
    ly_shutdown();
    return 0;
}

/* A program outside the project, built against an installed
 * liblightyear_conn (see find_package/ and pkgconfig/): it checks that the
 * installed header and library agree and that the basic calls work. */
#include <lightyear_conn.h>

#include <stdio.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "FAIL: %s (last error: %s)\n", what, ly_last_error());
        failures++;
    }
}

int main(void)
{
    uint8_t key[LY_KEY_SIZE] = {0};
    uint8_t zero[LY_KEY_SIZE] = {0};
    uint8_t token[LY_CONNECT_TOKEN_SIZE];
    ly_token_params params;
    ly_token_info info;
    char address[LY_ADDRESS_STRING_SIZE];
    uint32_t version = ly_version();

    /* The installed header and the installed library are one release. */
    check(version == LY_VERSION, "ly_version() matches LY_VERSION");

    check(ly_key_generate(key) == LY_OK, "ly_key_generate");
    check(memcmp(key, zero, sizeof key) != 0, "generated key is not all zero");

    ly_token_params_defaults(&params);
    params.protocol_id = 0x1122334455667788u;
    params.client_id = 42;
    params.private_key = key;
    params.public_addresses = "127.0.0.1:40000";
    check(ly_token_generate(&params, token, sizeof token) == LY_OK, "ly_token_generate");

    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    check(ly_token_read(token, sizeof token, &info) == LY_OK, "ly_token_read");
    check(info.protocol_id == params.protocol_id, "token protocol id");
    check(info.num_addresses == 1, "token has one address");
    check(info.timeout_seconds == 5, "token timeout is the default 5 s");
    check(ly_token_address(token, sizeof token, 0, address, sizeof address) == (int)strlen("127.0.0.1:40000"),
          "ly_token_address length");
    check(strcmp(address, "127.0.0.1:40000") == 0, "token address");

    /* Errors come back as codes, never as a crash. */
    check(ly_token_generate(NULL, token, sizeof token) == LY_ERR_INVALID_ARGUMENT, "NULL params rejected");
    check(ly_error_string(LY_ERR_INVALID_ARGUMENT)[0] != '\0', "ly_error_string");

    if (failures) {
        fprintf(stderr, "consumer: %d check(s) failed\n", failures);
        return 1;
    }
    printf("consumer: liblightyear_conn %u.%u.%u works\n", (unsigned)(version >> 16), (unsigned)((version >> 8) & 0xff),
           (unsigned)(version & 0xff));
    return 0;
}

/* Compiled by the header_c99 test with -std=c99 -pedantic -Werror: the
 * public header must stay plain C99, include-guarded and self-contained. */
#include "lightyear_conn.h"
#include "lightyear_conn.h"

/* C99 has no _Static_assert: a negative array size fails instead. */
#define LY_CHECK(name, cond) typedef char name[(cond) ? 1 : -1]

/* Fixed layouts promised by the header (events are used in arrays). */
LY_CHECK(client_id_is_16_bytes, sizeof(ly_client_id) == 16);
LY_CHECK(event_is_32_bytes, sizeof(ly_event) == 32);
LY_CHECK(version_is_packed, LY_VERSION == ((LY_VERSION_MAJOR << 16) | (LY_VERSION_MINOR << 8) | LY_VERSION_PATCH));

uint32_t (*const check_version_fn)(void) = ly_version;
int (*const check_poll_fn)(ly_server *, ly_event *, uint8_t *, uint32_t) = ly_server_poll;

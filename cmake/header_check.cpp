// Compiled by the header_cxx17 test with -std=c++17 -pedantic -Werror: the
// public header must work from C++ with C linkage.
#include "lightyear_conn.h"
#include "lightyear_conn.h"

#include <cstdint>
#include <type_traits>

static_assert(sizeof(ly_client_id) == 16, "ly_client_id layout is fixed");
static_assert(sizeof(ly_event) == 32, "ly_event layout is fixed");
static_assert(std::is_standard_layout<ly_event>::value, "ly_event is plain data");
static_assert(LY_VERSION == ((LY_VERSION_MAJOR << 16) | (LY_VERSION_MINOR << 8) | LY_VERSION_PATCH),
              "LY_VERSION packs the three parts");

// Functions must have C linkage types usable through plain pointers.
extern "C" {
typedef int (*ly_poll_fn)(ly_server *, ly_event *, uint8_t *, uint32_t);
}
const ly_poll_fn check_poll_fn = ly_server_poll;
std::uint32_t (*const check_version_fn)() = ly_version;

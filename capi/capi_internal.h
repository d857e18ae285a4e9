/* Helpers shared by the C and Go halves of capi; not part of the ABI. */
#ifndef LY_CAPI_INTERNAL_H
#define LY_CAPI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "lightyear_conn.h"

/* Not exported from the library. A DLL exports only what is marked
 * dllexport (LY_API), so Windows needs no attribute. */
#if defined(_WIN32)
#define LY__HIDDEN
#else
#define LY__HIDDEN __attribute__((visibility("hidden")))
#endif

/* Stores msg (len bytes, not NUL-terminated) as the calling thread's last
 * error message. */
LY__HIDDEN void ly__set_last_error(const char *msg, size_t len);
#if defined(__linux__)
/* hostsignals.c: Go's initialisation has finished (capi/ready_linux.go). */
LY__HIDDEN void ly__go_initialised(void);
#endif

/* cgo writes export prototypes without const; these typedefs carry the
 * const into them so that they match lightyear_conn.h exactly. */
typedef const uint8_t ly__cu8;
typedef const char ly__cchar;
typedef const ly_server_config ly__cserver_config;
typedef const ly_client_config ly__cclient_config;
typedef const ly_token_params ly__ctoken_params;
typedef const ly_conditioner_config ly__cconditioner_config;
typedef const ly_steam_config ly__csteam_config;
typedef const ly_steam_server_config ly__csteam_server_config;
typedef const ly_steam_client_config ly__csteam_client_config;
typedef const ly_token_fetch_options ly__ctoken_fetch_options;
typedef const ly_fleet_config ly__cfleet_config;
typedef const ly_web_options ly__cweb_options;

/* Handles are integers that C sees as opaque pointers. */
static inline ly_server *ly__server_from_bits(uintptr_t v) { return (ly_server *)v; }
static inline ly_client *ly__client_from_bits(uintptr_t v) { return (ly_client *)v; }
static inline ly_token_request *ly__token_request_from_bits(uintptr_t v) { return (ly_token_request *)v; }

#endif

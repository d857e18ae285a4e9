/* Small helpers shared by the C examples: flag parsing, hex, errors and a
 * monotonic clock. Nothing here is part of the library. */
#ifndef LY_EXAMPLE_COMMON_H
#define LY_EXAMPLE_COMMON_H

#include <lightyear_conn.h>

#include <stddef.h>
#include <stdint.h>

/* A development key so that the examples work together without setup.
 * Real servers load their key from a secret store. */
#define EX_DEV_KEY_HEX "6c69676874796561725f636f6e6e20646576206b65792c206e6f742070726f64" /* "lightyear_conn dev key, not prod" */
#define EX_DEFAULT_PROTOCOL 0x6c795f6563686f00ull /* "ly_echo\0" */
#define EX_DEFAULT_ADDRESS "127.0.0.1:40000"

/* Exit codes of every example. */
enum { EX_OK = 0, EX_FAILED = 1, EX_USAGE = 2 };

/* If argv[*i] is --name VALUE or --name=VALUE, returns VALUE and moves *i
 * past it; otherwise returns NULL. A missing VALUE is a usage error. */
const char *ex_flag(int argc, char **argv, int *i, const char *name);

/* Parsers; each returns 0 on success, -1 on malformed input. */
int ex_parse_u64(const char *text, uint64_t *out);   /* decimal or 0x-hex */
int ex_parse_u32(const char *text, uint32_t *out);
int ex_parse_seconds(const char *text, double *out); /* >= 0 */
int ex_parse_key(const char *hex, uint8_t key[LY_KEY_SIZE]); /* 64 hex chars */
/* Decodes hex (whitespace ignored) into out; returns the byte count, or
 * -1 if malformed or longer than out_size. */
long ex_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_size);

/* Prints "<what>: <error string> (<last error>)" to stderr. Returns
 * EX_FAILED so callers can `return ex_report(...)`. */
int ex_report(const char *what, int code);
/* ex_report then exit(EX_FAILED): for failures an example cannot recover
 * from. */
void ex_die(const char *what, int code);
/* Prints a usage error and exits with EX_USAGE. */
void ex_usage_error(const char *usage, const char *fmt, const char *arg);

/* "netcode 7", "steam 76561197960287930", ... into buf. */
const char *ex_client_id_string(ly_client_id id, char *buf, size_t size);

double ex_now(void);             /* monotonic seconds */
void ex_sleep(double seconds);   /* returns early when a signal arrives */

#endif

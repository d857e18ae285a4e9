/* Helpers shared by the C examples (see common.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep under -std=c99 */

#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *ex_flag(int argc, char **argv, int *i, const char *name)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);

    if (strncmp(arg, name, len) != 0)
        return NULL;
    if (arg[len] == '=')
        return arg + len + 1;
    if (arg[len] != '\0')
        return NULL; /* --address vs --addresses */
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s needs a value\n", name);
        exit(EX_USAGE);
    }
    *i += 1;
    return argv[*i];
}

int ex_parse_u64(const char *text, uint64_t *out)
{
    int base = 10;
    char *end;
    unsigned long long value;

    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
    }
    /* strtoull accepts a sign and leading blanks; a u64 flag must not. */
    if (!isxdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    value = strtoull(text, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)value;
    return 0;
}

int ex_parse_u32(const char *text, uint32_t *out)
{
    uint64_t value;

    if (ex_parse_u64(text, &value) != 0 || value > UINT32_MAX)
        return -1;
    *out = (uint32_t)value;
    return 0;
}

int ex_parse_seconds(const char *text, double *out)
{
    char *end;
    double value;

    errno = 0;
    value = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(value >= 0.0))
        return -1;
    *out = value;
    return 0;
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

long ex_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_size)
{
    size_t n = 0;
    int high = -1;
    size_t i;

    for (i = 0; i < hex_len; i++) {
        int d;

        if (isspace((unsigned char)hex[i]))
            continue;
        d = hex_digit((unsigned char)hex[i]);
        if (d < 0)
            return -1;
        if (high < 0) {
            high = d;
            continue;
        }
        if (n == out_size)
            return -1;
        out[n++] = (uint8_t)(high << 4 | d);
        high = -1;
    }
    return high < 0 ? (long)n : -1;
}

int ex_parse_key(const char *hex, uint8_t key[LY_KEY_SIZE])
{
    if (strlen(hex) != 2 * LY_KEY_SIZE)
        return -1;
    return ex_hex_decode(hex, strlen(hex), key, LY_KEY_SIZE) == LY_KEY_SIZE ? 0 : -1;
}

int ex_report(const char *what, int code)
{
    const char *detail = ly_last_error();

    if (detail[0] != '\0')
        fprintf(stderr, "%s: %s (%s)\n", what, ly_error_string(code), detail);
    else
        fprintf(stderr, "%s: %s\n", what, ly_error_string(code));
    return EX_FAILED;
}

void ex_die(const char *what, int code)
{
    ex_report(what, code);
    exit(EX_FAILED);
}

void ex_usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    exit(EX_USAGE);
}

const char *ex_client_id_string(ly_client_id id, char *buf, size_t size)
{
    const char *kind = "unknown";

    switch (id.kind) {
    case LY_KIND_NETCODE: kind = "netcode"; break;
    case LY_KIND_STEAM: kind = "steam"; break;
    case LY_KIND_LOCAL: kind = "local"; break;
    default: break;
    }
    snprintf(buf, size, "%s %llu", kind, (unsigned long long)id.id);
    return buf;
}

double ex_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ex_sleep(double seconds)
{
    struct timespec ts;

    if (seconds <= 0.0)
        return;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    /* No retry on EINTR: a signal should wake the loop to notice it. */
    nanosleep(&ts, NULL);
}

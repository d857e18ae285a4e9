// Command capi is liblightyear_conn: the C ABI declared in
// include/lightyear_conn.h, built with `go build -buildmode=c-shared`.
//
// It only translates: it validates handles and arguments, converts between
// C and Go values, maps errors to LY_ERR_* codes and serialises calls on a
// handle. Every protocol decision lives in core/.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include -DLY_BUILDING_LIBRARY
#cgo linux LDFLAGS: -ldl
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

func main() {}

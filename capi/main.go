// Command capi is liblightyear_conn: the C ABI declared in
// include/lightyear_conn.h, built with `go build -buildmode=c-shared`.
//
// It only translates: it validates handles and arguments, converts between
// C and Go values, maps errors to LY_ERR_* codes and serialises calls on a
// handle. Every protocol decision lives in core/.
package main

// On Windows -static links mingw's libgcc into the DLL:
// lightyear_conn.dll imports only KERNEL32.dll and msvcrt.dll, so it ships
// alone.

/*
#cgo CFLAGS: -I${SRCDIR}/../include -DLY_BUILDING_LIBRARY
#cgo linux LDFLAGS: -ldl
#cgo windows LDFLAGS: -static
#include "lightyear_conn.h"
#include "capi_internal.h"
*/
import "C"

func main() {}

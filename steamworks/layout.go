package steamworks

/*
#include <stddef.h>
#include "shim.h"

static long lys_go_offset_check(int which) {
	switch (which) {
	case 0: return offsetof(lys_Message, pData);
	case 1: return offsetof(lys_Message, cbSize);
	case 2: return offsetof(lys_Message, conn);
	case 3: return sizeof(lys_Message);
	}
	return -1;
}
*/
import "C"

import "unsafe"

// cLayout reports sizeof/offsetof of the C declarations in
// steam_types.h, by "sizeof type" and "type.field".
func cLayout() map[string]int64 {
	m := make(map[string]int64)
	var name *C.char
	var value C.long
	n := int(C.lys_layout(0, &name, &value))
	for i := range n {
		C.lys_layout(C.int(i), &name, &value)
		m[C.GoString(name)] = int64(value)
	}
	return m
}

// goMessageLayout compares the cgo view of the message fields Go reads
// directly (pData, cbSize, conn) with C's: each pair must match.
func goMessageLayout() [][2]int64 {
	var m C.lys_Message
	return [][2]int64{
		{int64(unsafe.Offsetof(m.pData)), int64(C.lys_go_offset_check(0))},
		{int64(unsafe.Offsetof(m.cbSize)), int64(C.lys_go_offset_check(1))},
		{int64(unsafe.Offsetof(m.conn)), int64(C.lys_go_offset_check(2))},
		{int64(unsafe.Sizeof(m)), int64(C.lys_go_offset_check(3))},
	}
}

package wine

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Wine's ntdll exports wine_get_version; Windows' does not.
var version = sync.OnceValues(func() (string, bool) {
	proc := windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version")
	if proc.Find() != nil {
		return "", false
	}
	r, _, _ := proc.Call()
	if r == 0 {
		return "unknown", true
	}
	// A pointer to wine's static version string, which lives as long as
	// the process.
	return windows.BytePtrToString(*(**byte)(unsafe.Pointer(&r))), true
})

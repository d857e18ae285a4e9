package steamworks

/*
#cgo !windows LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unsafe"
)

// EnvLibrary names an environment variable holding the path of the Steam
// library to load; it is tried after LibraryOptions.Path.
const EnvLibrary = "LIGHTYEAR_STEAM_LIB"

// libraryName is a flavour's file name for the default search (dlopen's,
// or LoadLibrary's on Windows), as Valve ships it.
func libraryName(f Flavour) string {
	if runtime.GOOS == "windows" {
		switch {
		case f == FlavourGNS:
			return "GameNetworkingSockets.dll"
		case runtime.GOARCH == "386":
			return "steam_api.dll"
		}
		return "steam_api64.dll"
	}
	base := "libsteam_api"
	if f == FlavourGNS {
		base = "libGameNetworkingSockets"
	}
	if runtime.GOOS == "darwin" {
		return base + ".dylib"
	}
	return base + ".so"
}

type candidate struct {
	path    string
	flavour Flavour // FlavourAuto: decided from the symbols it exports
}

// candidates lists where to look: the explicit path alone, or else the
// environment, then each flavour's library name through the default
// dlopen search and next to the executable.
func candidates(opts *LibraryOptions) []candidate {
	var cs []candidate
	if opts.Path != "" {
		// A named file is the only one tried: loading another library
		// when the one asked for is missing would hide the mistake.
		return append(cs, candidate{opts.Path, opts.Flavour})
	}
	if p := os.Getenv(EnvLibrary); p != "" {
		cs = append(cs, candidate{p, opts.Flavour})
	}
	flavours := []Flavour{opts.Flavour}
	if opts.Flavour == FlavourAuto {
		flavours = []Flavour{FlavourSteamworks, FlavourGNS}
	}
	exeDir := ""
	if exe, err := os.Executable(); err == nil {
		exeDir = filepath.Dir(exe)
	}
	for _, f := range flavours {
		name := libraryName(f)
		cs = append(cs, candidate{name, f})
		if exeDir != "" {
			cs = append(cs, candidate{filepath.Join(exeDir, name), f})
		}
	}
	return cs
}

// load opens the first candidate that dlopen accepts and resolves every
// symbol of its flavour. The returned table is in C memory (Go memory
// may not hold the C function pointers cgo passes around).
func load(opts *LibraryOptions) (*C.lys_lib, Flavour, string, error) {
	var tried []string
	errbuf := (*C.char)(C.malloc(C.LYS_ERRMSG_SIZE))
	defer C.free(unsafe.Pointer(errbuf))
	for _, c := range candidates(opts) {
		cpath := C.CString(c.path)
		h := C.lys_dlopen(cpath, errbuf, C.LYS_ERRMSG_SIZE)
		C.free(unsafe.Pointer(cpath))
		if h == nil {
			tried = append(tried, fmt.Sprintf("%s (%s)", c.path, C.GoString(errbuf)))
			continue
		}
		f := c.flavour
		if f == FlavourAuto {
			f = detectFlavour(h)
		}
		if f == FlavourAuto {
			C.lys_dlclose(h)
			return nil, 0, "", fmt.Errorf("%w: %s exports neither SteamAPI_InitFlat nor GameNetworkingSockets_Init", ErrMissingSymbol, c.path)
		}
		lib, err := resolve(h, f, c.path)
		if err != nil {
			C.lys_dlclose(h)
			return nil, 0, "", err
		}
		return lib, f, c.path, nil
	}
	return nil, 0, "", fmt.Errorf("%w: tried %s", ErrUnavailable, strings.Join(tried, "; "))
}

func hasSymbol(h unsafe.Pointer, name string) bool {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return C.lys_dlsym(h, cname) != nil
}

// detectFlavour tells the two libraries apart by their init function.
func detectFlavour(h unsafe.Pointer) Flavour {
	switch {
	case hasSymbol(h, "SteamAPI_InitFlat"):
		return FlavourSteamworks
	case hasSymbol(h, "GameNetworkingSockets_Init"):
		return FlavourGNS
	}
	return FlavourAuto
}

// resolve fills a new table with every symbol the flavour needs.
func resolve(h unsafe.Pointer, f Flavour, path string) (*C.lys_lib, error) {
	lib := (*C.lys_lib)(C.calloc(1, C.sizeof_lys_lib))
	lib.dl = h
	for _, s := range symbols {
		name := s.name(f)
		if name == "" {
			continue
		}
		cname := C.CString(name)
		p := C.lys_dlsym(h, cname)
		C.free(unsafe.Pointer(cname))
		if p == nil {
			C.free(unsafe.Pointer(lib))
			return nil, fmt.Errorf("%w: %s not found in %s (%v flavour)", ErrMissingSymbol, name, path, f)
		}
		lib.slot[s.slot] = p
	}
	return lib, nil
}

// CheckSymbols dlopens the library at path and reports the first symbol of
// the flavour's table it lacks, without calling anything in it. It is for
// checking a library (the tests run it on Valve's libsteam_api.so); the
// library stays loaded.
func CheckSymbols(path string, f Flavour) error {
	if f == FlavourAuto {
		return fmt.Errorf("%w: CheckSymbols needs a flavour", ErrInvalidConfig)
	}
	lib, _, _, err := load(&LibraryOptions{Path: path, Flavour: f})
	if err != nil {
		return err
	}
	C.free(unsafe.Pointer(lib))
	return nil
}

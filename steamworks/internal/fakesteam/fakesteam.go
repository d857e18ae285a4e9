// Package fakesteam builds the test double of Valve's Steam networking
// libraries (testdata/fakesteam/fakesteam.c) and drives its test
// controls, the FakeSteam_* functions, through dlopen (LoadLibraryW on
// Windows): test files cannot use cgo, and the backend under test must
// load the double by itself, exactly as it loads the real library.
package fakesteam

/*
#cgo !windows LDFLAGS: -ldl
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
static void *fs_open(const char *path) {
	WCHAR wpath[1024];
	if (MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, 1024) <= 0) return NULL;
	return (void *)LoadLibraryW(wpath);
}
static void *fs_sym(void *h, const char *name) {
	FARPROC p = GetProcAddress((HMODULE)h, name);
	void *v;
	memcpy(&v, &p, sizeof v);
	return v;
}
#else
#include <dlfcn.h>
static void *fs_open(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static void *fs_sym(void *h, const char *name) { return dlsym(h, name); }
#endif

static void call_v(void *f) { ((void (*)(void))f)(); }
static void call_vi(void *f, int a) { ((void (*)(int))f)(a); }
static void call_vu32(void *f, uint32_t a) { ((void (*)(uint32_t))f)(a); }
static void call_vu64(void *f, uint64_t a) { ((void (*)(uint64_t))f)(a); }
static void call_vsi(void *f, const char *s, int a) { ((void (*)(const char *, int))f)(s, a); }
static long call_l(void *f) { return ((long (*)(void))f)(); }
static long call_ls(void *f, const char *s) { return ((long (*)(const char *))f)(s); }
static int call_i(void *f) { return ((int (*)(void))f)(); }
static int call_ii(void *f, int a) { return ((int (*)(int))f)(a); }
static bool call_b(void *f) { return ((bool (*)(void))f)(); }
static uint32_t call_u32u32(void *f, uint32_t a) { return ((uint32_t (*)(uint32_t))f)(a); }
static int call_send(void *f, uint32_t c, const void *d, uint32_t n) {
	return ((int (*)(uint32_t, const void *, uint32_t))f)(c, d, n);
}
static void call_gsargs(void *f, uint32_t *ip, uint16_t *gp, uint16_t *qp, int *mode, char *v, int cap) {
	((void (*)(uint32_t *, uint16_t *, uint16_t *, int *, char *, int))f)(ip, gp, qp, mode, v, cap);
}
*/
import "C"

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"unsafe"
)

// EnvPrebuilt names a directory holding the double already built for
// Windows, as steam/fake_steam_api64.dll and
// gns/fake_GameNetworkingSockets.dll (WindowsNames): a test running under
// wine cannot start the Linux C compiler, so scripts/test-windows.sh
// builds them with mingw-w64 beforehand.
const EnvPrebuilt = "LIGHTYEAR_FAKESTEAM_DIR"

// WindowsNames are the double's paths under $LIGHTYEAR_FAKESTEAM_DIR,
// Steamworks' and GameNetworkingSockets' flavours. They are not Valve's
// names on purpose: Windows hands a LoadLibrary of a bare name the module
// of that name already loaded, wherever it came from, so a double named
// steam_api64.dll would answer the default search the tests expect to fail.
var WindowsNames = [2]string{"steam/fake_steam_api64.dll", "gns/fake_GameNetworkingSockets.dll"}

// Build compiles the double from src into dir and returns the library's
// path. gns selects the GameNetworkingSockets flavour of exported names.
// The compiler is $CC when set (a cross build's, e.g. aarch64-linux-gnu-gcc
// for a test binary run under qemu: the double must match the process
// that loads it), else gcc. On Windows it returns the prebuilt double in
// $LIGHTYEAR_FAKESTEAM_DIR when that is set, and otherwise compiles with
// $CC or gcc from PATH.
func Build(src, dir string, gns bool) (string, error) {
	if runtime.GOOS == "windows" {
		return buildWindows(src, dir, gns)
	}
	name := "libsteam_api.so"
	args := []string{"-std=c11", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Wextra", "-Werror",
		"-shared", "-fPIC", "-fvisibility=hidden", "-O1", "-g"}
	if gns {
		name = "libGameNetworkingSockets.so"
		args = append(args, "-DFAKESTEAM_GNS")
	}
	out := filepath.Join(dir, name)
	args = append(args, "-o", out, src, "-lpthread")
	cc := strings.Fields(os.Getenv("CC"))
	if len(cc) == 0 {
		cc = []string{"gcc"}
	}
	if b, err := exec.Command(cc[0], append(cc[1:], args...)...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the fake Steam library: %v\n%s", err, b)
	}
	return out, nil
}

// buildWindows uses the prebuilt double, or builds it with -static so
// that winpthread (mingw's pthread) is inside it.
func buildWindows(src, dir string, gns bool) (string, error) {
	rel := WindowsNames[0]
	if gns {
		rel = WindowsNames[1]
	}
	if pre := os.Getenv(EnvPrebuilt); pre != "" {
		path := filepath.Join(pre, filepath.FromSlash(rel))
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("the prebuilt fake Steam library ($%s): %w", EnvPrebuilt, err)
		}
		return path, nil
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
	}
	out := filepath.Join(dir, filepath.Base(rel))
	args := []string{"-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-static", "-O1", "-g"}
	if gns {
		args = append(args, "-DFAKESTEAM_GNS")
	}
	args = append(args, "-o", out, src, "-lpthread")
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the fake Steam library with %s (under wine, set $%s: scripts/test-windows.sh does): %v\n%s",
			cc, EnvPrebuilt, err, b)
	}
	return out, nil
}

// Fake is a loaded double. It shares its state with the backend's load
// of the same path: dlopen returns the one instance.
type Fake struct {
	Path string
	h    unsafe.Pointer
}

// Open loads the double at path.
func Open(path string) (*Fake, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	h := C.fs_open(cpath)
	if h == nil {
		return nil, fmt.Errorf("dlopen %s failed", path)
	}
	return &Fake{Path: path, h: h}, nil
}

func (f *Fake) sym(name string) unsafe.Pointer {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	p := C.fs_sym(f.h, cname)
	if p == nil {
		panic("fakesteam: no symbol " + name)
	}
	return p
}

// Reset forgets every connection, socket, message, setting and counter.
func (f *Fake) Reset() { C.call_v(f.sym("FakeSteam_Reset")) }

// Preinit plays a host that initialised Steam: 1 client, 2 game
// server, 3 GameNetworkingSockets.
func (f *Fake) Preinit(which int) { C.call_vi(f.sym("FakeSteam_Preinit"), C.int(which)) }

// Counter reads a named counter (see counter_names in fakesteam.c);
// -1 for an unknown name.
func (f *Fake) Counter(name string) int {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return int(C.call_ls(f.sym("FakeSteam_Counter"), cname))
}

// FailInit makes inits fail with Steam's code and message ("" clears).
func (f *Fake) FailInit(msg string, code int) {
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	C.call_vsi(f.sym("FakeSteam_FailInit"), cmsg, C.int(code))
}

func (f *Fake) SetLocalSteamID(id uint64) {
	C.call_vu64(f.sym("FakeSteam_SetLocalSteamID"), C.uint64_t(id))
}

// SetNextIdentity is the SteamID the next connection presents to the
// server.
func (f *Fake) SetNextIdentity(id uint64) {
	C.call_vu64(f.sym("FakeSteam_SetNextIdentity"), C.uint64_t(id))
}

// LiveMessages counts messages allocated and not yet released.
func (f *Fake) LiveMessages() int { return int(C.call_l(f.sym("FakeSteam_LiveMessages"))) }

// Send sends from connection conn, empty payloads included; it returns
// the EResult.
func (f *Fake) Send(conn uint32, payload []byte) int {
	var p unsafe.Pointer
	if len(payload) > 0 {
		cp := C.CBytes(payload)
		defer C.free(cp)
		p = cp
	}
	return int(C.call_send(f.sym("FakeSteam_Send"), C.uint32_t(conn), p, C.uint32_t(len(payload))))
}

// PeerOf is the handle of the other end of a connection.
func (f *Fake) PeerOf(conn uint32) uint32 {
	return uint32(C.call_u32u32(f.sym("FakeSteam_PeerOf"), C.uint32_t(conn)))
}

// Problem makes conn detect a problem (a timeout); its peer hears nothing.
func (f *Fake) Problem(conn uint32) { C.call_vu32(f.sym("FakeSteam_Problem"), C.uint32_t(conn)) }

// Config is a global config value as last set.
func (f *Fake) Config(key int) int { return int(C.call_ii(f.sym("FakeSteam_Config"), C.int(key))) }

// HasCallback reports whether a status callback is installed.
func (f *Fake) HasCallback() bool { return bool(C.call_b(f.sym("FakeSteam_HasCallback"))) }

// Handles counts open connections, listen sockets and poll groups.
func (f *Fake) Handles() int { return int(C.call_i(f.sym("FakeSteam_Handles"))) }

// GameServerArgs are the arguments of the last game server init.
type GameServerArgs struct {
	IP                  uint32
	GamePort, QueryPort uint16
	Mode                int
	Version             string
}

func (f *Fake) GameServerArgs() GameServerArgs {
	var ip C.uint32_t
	var gp, qp C.uint16_t
	var mode C.int
	buf := (*C.char)(C.malloc(64))
	defer C.free(unsafe.Pointer(buf))
	C.call_gsargs(f.sym("FakeSteam_GameServerArgs"), &ip, &gp, &qp, &mode, buf, 64)
	return GameServerArgs{uint32(ip), uint16(gp), uint16(qp), int(mode), C.GoString(buf)}
}

// Loading the Steam library: dlopen and dlsym, or on Windows LoadLibraryW
// and GetProcAddress. The error text is read in the same C call as the
// failure: dlerror and GetLastError are per thread, and Go may move a
// goroutine between threads between two cgo calls.
#include <string.h>
#include "shim.h"

#ifdef _WIN32
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

// copy_error writes what, then the system's message for code, as UTF-8.
static void copy_error(char *err, int cap, const char *what, DWORD code) {
	if (cap <= 0) {
		return;
	}
	WCHAR wmsg[512];
	char msg[1024];
	DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
	                         0, wmsg, (DWORD)(sizeof wmsg / sizeof wmsg[0]), NULL);
	while (n > 0 && (wmsg[n - 1] == L'\r' || wmsg[n - 1] == L'\n' || wmsg[n - 1] == L' ' || wmsg[n - 1] == L'.')) {
		n--;
	}
	int len = 0;
	if (n > 0) {
		len = WideCharToMultiByte(CP_UTF8, 0, wmsg, (int)n, msg, (int)sizeof msg - 1, NULL, NULL);
	}
	msg[len > 0 ? len : 0] = 0;
	snprintf(err, (size_t)cap, "%s: %s (error %lu)", what, len > 0 ? msg : "unknown error", (unsigned long)code);
}

// is_absolute: a drive path (C:\ or C:/) or a UNC path (\\server).
static int is_absolute(const WCHAR *p) {
	return (p[0] != 0 && p[1] == L':' && (p[2] == L'\\' || p[2] == L'/')) ||
	       ((p[0] == L'\\' || p[0] == L'/') && (p[1] == L'\\' || p[1] == L'/'));
}

void *lys_dlopen(const char *path, char *err, int cap) {
	// The path is UTF-8 (a Go string, or what a C caller passed through
	// the header's API); the W functions take UTF-16, so a path in any
	// language loads whatever the process's ANSI code page.
	int wlen = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
	if (wlen <= 0) {
		copy_error(err, cap, "the path is not valid UTF-8", GetLastError());
		return NULL;
	}
	WCHAR *wpath = (WCHAR *)malloc((size_t)wlen * sizeof(WCHAR));
	if (wpath == NULL) {
		copy_error(err, cap, "out of memory", ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wpath, wlen);
	// LOAD_WITH_ALTERED_SEARCH_PATH wants backslashes (Unity's paths, for
	// one, use forward slashes).
	for (WCHAR *c = wpath; *c != 0; c++) {
		if (*c == L'/') {
			*c = L'\\';
		}
	}
	// A library named by its full path finds the DLLs it needs next to
	// itself, as the Steam redistributables expect.
	DWORD flags = is_absolute(wpath) ? LOAD_WITH_ALTERED_SEARCH_PATH : 0;
	HMODULE h = LoadLibraryExW(wpath, NULL, flags);
	DWORD code = GetLastError();
	free(wpath);
	if (h == NULL) {
		copy_error(err, cap, "LoadLibrary failed", code);
	}
	return (void *)h;
}

void *lys_dlsym(void *handle, const char *name) {
	FARPROC p = GetProcAddress((HMODULE)handle, name);
	void *v;
	memcpy(&v, &p, sizeof v); // a function pointer as data, without the cast warning
	return v;
}

void lys_dlclose(void *handle) {
	FreeLibrary((HMODULE)handle);
}

#else
#include <dlfcn.h>

void *lys_dlopen(const char *path, char *err, int cap) {
	dlerror();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL && cap > 0) {
		const char *e = dlerror();
		strncpy(err, e ? e : "dlopen failed", (size_t)cap - 1);
		err[cap - 1] = 0;
	}
	return h;
}

void *lys_dlsym(void *handle, const char *name) {
	dlerror();
	return dlsym(handle, name);
}

void lys_dlclose(void *handle) {
	dlclose(handle);
}
#endif

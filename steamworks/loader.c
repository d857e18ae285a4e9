// dlopen and dlsym, each with its dlerror read in the same C call: the
// error string is per thread and Go may move a goroutine between threads
// between two cgo calls.
#include <dlfcn.h>
#include <string.h>
#include "shim.h"

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

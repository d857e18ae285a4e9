// Test scaffolding for wine 8.0, never shipped: Go's Windows runtime (1.24
// and later) takes its random numbers from bcryptprimitives.dll!ProcessPrng,
// which wine 8.0 lacks, so a Go program dies at start with "fatal error:
// bcryptprimitives.dll not found". The runtime loads that DLL from system32
// only; tests/wine/run.sh builds this stub with mingw-w64 and copies it into
// the wine prefix's drive_c/windows/system32. Real Windows 8 and later has
// the real one.
#include <windows.h>

// advapi32's RtlGenRandom, exported as SystemFunction036.
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
	while (size > 0) {
		ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, chunk)) {
			return FALSE;
		}
		data += chunk;
		size -= chunk;
	}
	return TRUE;
}

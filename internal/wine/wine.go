// Package wine tells a Windows program whether it runs under wine, so that
// a test that cannot run there skips saying so instead of failing, and
// never passes silently.
package wine

// Version returns wine's version ("8.0") and true when the process runs
// under wine; "" and false on Windows itself and on every other system.
func Version() (string, bool) { return version() }

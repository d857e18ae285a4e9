//go:build !windows

package wine

func version() (string, bool) { return "", false }

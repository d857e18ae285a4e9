package tokenservice

import (
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// ParsePrivateKey reads the servers' 32-byte private key as hex.
// Errors never quote the input.
func ParsePrivateKey(s string) (netcode.Key, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return netcode.Key{}, fmt.Errorf("private key is not hex")
	}
	if len(b) != netcode.KeySize {
		return netcode.Key{}, fmt.Errorf("private key is %d bytes, want %d", len(b), netcode.KeySize)
	}
	return netcode.KeyFromBytes(b)
}

// LoadPrivateKeyFile reads a hex private key from a file that only its
// owner may read: a mode with any group or other bit is refused.
func LoadPrivateKeyFile(path string) (netcode.Key, error) {
	if err := checkSecretFile(path); err != nil {
		return netcode.Key{}, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return netcode.Key{}, err
	}
	k, err := ParsePrivateKey(string(b))
	if err != nil {
		return netcode.Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// checkSecretFile refuses a secret file readable by group or others.
func checkSecretFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	// Windows reports no group/other bits of its own (access is by ACL),
	// so the check would refuse every file there; it is skipped.
	if m := st.Mode().Perm(); m&0o077 != 0 && runtime.GOOS != "windows" {
		return fmt.Errorf("%s has mode %04o: a secret file must not be accessible by group or others (chmod 600 %s)", path, m, path)
	}
	return nil
}

// LoadSecretFile reads a secret (such as an HS256 key) with the same
// permission check as LoadPrivateKeyFile; surrounding whitespace is
// trimmed.
func LoadSecretFile(path string) ([]byte, error) {
	if err := checkSecretFile(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

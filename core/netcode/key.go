package netcode

import (
	"crypto/rand"
	"fmt"
)

// GenerateKey returns a random key from the operating system's CSPRNG.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("netcode: generating key: %w", err)
	}
	return k, nil
}

// KeyFromBytes copies a 32-byte key, failing on any other length.
func KeyFromBytes(b []byte) (Key, error) {
	var k Key
	if len(b) != KeySize {
		return k, fmt.Errorf("%w: key is %d bytes, want %d", ErrInvalidKey, len(b), KeySize)
	}
	copy(k[:], b)
	return k, nil
}

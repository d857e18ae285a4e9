package tokenservice

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrivateKeyFile(t *testing.T) {
	const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(hexKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // past the umask
		t.Fatal(err)
	}
	_, err := LoadPrivateKeyFile(path)
	if err == nil || !strings.Contains(err.Error(), "0644") || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("mode 0644: %v", err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrivateKeyFile(path); err == nil {
		t.Fatal("mode 0640 accepted")
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadPrivateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k[0] != 0 || k[31] != 0x1f {
		t.Errorf("key %x", k)
	}
	for _, bad := range []string{hexKey[:62], hexKey + "00", "zz" + hexKey[2:]} {
		_, err := ParsePrivateKey(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("error quotes the key: %v", err)
		}
	}
}

package netcode

import (
	"crypto/cipher"
	"encoding/binary"

	"golang.org/x/crypto/chacha20poly1305"
)

// newAEAD returns the ChaCha20-Poly1305 (IETF) AEAD for a key. Callers keep
// the result for the life of the key: building it costs more than a packet.
func newAEAD(k *Key) cipher.AEAD {
	a, err := chacha20poly1305.New(k[:])
	if err != nil {
		panic("netcode: chacha20poly1305.New with a 32-byte key: " + err.Error())
	}
	return a
}

func newXAEAD(k *Key) cipher.AEAD {
	a, err := chacha20poly1305.NewX(k[:])
	if err != nil {
		panic("netcode: chacha20poly1305.NewX with a 32-byte key: " + err.Error())
	}
	return a
}

// sequenceNonce fills a 12-byte IETF nonce: four zero bytes, then the
// sequence little-endian.
func sequenceNonce(n *[12]byte, seq uint64) {
	binary.LittleEndian.PutUint32(n[0:4], 0)
	binary.LittleEndian.PutUint64(n[4:12], seq)
}

// tokenAD fills the associated data of a private connect token:
// VERSION || protocol_id || expire_timestamp.
func tokenAD(ad *[versionSize + 16]byte, protocolID, expire uint64) {
	copy(ad[:], Version)
	binary.LittleEndian.PutUint64(ad[versionSize:], protocolID)
	binary.LittleEndian.PutUint64(ad[versionSize+8:], expire)
}

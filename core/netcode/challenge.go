package netcode

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
)

var errChallengeDecrypt = errors.New("netcode: challenge token does not decrypt")

// ChallengeToken is what the server hands a client during the handshake
// and gets back in the response, sealed with a key only the server knows.
type ChallengeToken struct {
	ClientID uint64
	UserData [UserDataSize]byte
}

// sealChallengeToken writes the 300-byte sealed token to out: 284 bytes of
// ChaCha20-Poly1305 ciphertext (nonce 0000||seq, no associated data) and the
// tag.
func sealChallengeToken(out *[ChallengeTokenSize]byte, c *ChallengeToken, seq uint64, aead cipher.AEAD, nonce *[12]byte) {
	binary.LittleEndian.PutUint64(out[0:], c.ClientID)
	copy(out[8:], c.UserData[:])
	clear(out[8+UserDataSize:])
	sequenceNonce(nonce, seq)
	aead.Seal(out[:0], nonce[:], out[:ChallengeTokenSize-macSize], nil)
}

// openChallengeToken decrypts sealed (300 bytes) in place and parses it.
func openChallengeToken(c *ChallengeToken, sealed []byte, seq uint64, aead cipher.AEAD, nonce *[12]byte) error {
	sequenceNonce(nonce, seq)
	plain, err := aead.Open(sealed[:0], nonce[:], sealed[:ChallengeTokenSize], nil)
	if err != nil {
		return errChallengeDecrypt
	}
	c.ClientID = binary.LittleEndian.Uint64(plain)
	copy(c.UserData[:], plain[8:])
	return nil
}

package netcode

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"time"
)

// NeverExpires is the expire timestamp of a token made with negative
// ExpireSeconds.
const NeverExpires = math.MaxUint64

// PrivateToken is the part of a connect token only the servers can read.
type PrivateToken struct {
	ClientID uint64
	// TimeoutSeconds: the connection times out after this long without a
	// packet; zero or negative disables timeouts.
	TimeoutSeconds int32
	// ServerAddresses are the servers' addresses as they know themselves
	// (the "internal" addresses); each server checks it is among them.
	ServerAddresses   []netip.AddrPort
	ClientToServerKey Key
	ServerToClientKey Key
	UserData          [UserDataSize]byte
}

// ConnectToken is what a backend gives a client: public data the client
// reads, and the private token sealed with the servers' private key.
type ConnectToken struct {
	ProtocolID      uint64
	CreateTimestamp uint64
	ExpireTimestamp uint64
	Nonce           [xnonceSize]byte
	// PrivateData is the sealed PrivateToken (1008 ciphertext bytes and a
	// 16-byte tag).
	PrivateData       [PrivateTokenSize]byte
	TimeoutSeconds    int32
	ServerAddresses   []netip.AddrPort
	ClientToServerKey Key
	ServerToClientKey Key
}

// TokenParams are a backend's inputs to GenerateConnectToken.
type TokenParams struct {
	ProtocolID uint64
	ClientID   uint64
	PrivateKey Key
	// PublicAddresses are what clients connect to (1..32, tried in order).
	PublicAddresses []netip.AddrPort
	// InternalAddresses are the same servers as they know themselves, in
	// the private part; nil means the same as PublicAddresses.
	InternalAddresses []netip.AddrPort
	// ExpireSeconds after creation the token is refused; negative: never.
	ExpireSeconds int64
	// TimeoutSeconds: see PrivateToken.
	TimeoutSeconds int32
	UserData       [UserDataSize]byte
	// Now is the creation time; the zero value means time.Now().
	Now time.Time
	// Nonce and the two packet keys are random unless set (tests set them
	// to reproduce known bytes).
	Nonce             *[xnonceSize]byte
	ClientToServerKey *Key
	ServerToClientKey *Key
}

// GenerateConnectToken makes and seals a connect token.
func GenerateConnectToken(p TokenParams) (*ConnectToken, error) {
	if err := checkAddressList(p.PublicAddresses, "public"); err != nil {
		return nil, err
	}
	internal := p.InternalAddresses
	if internal == nil {
		internal = p.PublicAddresses
	}
	if err := checkAddressList(internal, "internal"); err != nil {
		return nil, err
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	t := &ConnectToken{
		ProtocolID:      p.ProtocolID,
		CreateTimestamp: uint64(now.Unix()),
		TimeoutSeconds:  p.TimeoutSeconds,
		ServerAddresses: append([]netip.AddrPort(nil), p.PublicAddresses...),
	}
	if p.ExpireSeconds < 0 {
		t.ExpireTimestamp = NeverExpires
	} else {
		t.ExpireTimestamp = t.CreateTimestamp + uint64(p.ExpireSeconds)
	}
	if err := fill(t.Nonce[:], p.Nonce); err != nil {
		return nil, err
	}
	if err := fillKey(&t.ClientToServerKey, p.ClientToServerKey); err != nil {
		return nil, err
	}
	if err := fillKey(&t.ServerToClientKey, p.ServerToClientKey); err != nil {
		return nil, err
	}
	priv := PrivateToken{
		ClientID:          p.ClientID,
		TimeoutSeconds:    p.TimeoutSeconds,
		ServerAddresses:   internal,
		ClientToServerKey: t.ClientToServerKey,
		ServerToClientKey: t.ServerToClientKey,
		UserData:          p.UserData,
	}
	var plain [PrivateTokenSize]byte
	priv.marshal(&plain)
	sealPrivateToken(&t.PrivateData, &plain, t.ProtocolID, t.ExpireTimestamp, &t.Nonce, &p.PrivateKey)
	return t, nil
}

func fill(dst []byte, src *[xnonceSize]byte) error {
	if src != nil {
		copy(dst, src[:])
		return nil
	}
	if _, err := rand.Read(dst); err != nil {
		return fmt.Errorf("netcode: random nonce: %w", err)
	}
	return nil
}

func fillKey(dst *Key, src *Key) error {
	if src != nil {
		*dst = *src
		return nil
	}
	k, err := GenerateKey()
	*dst = k
	return err
}

// marshal writes the 1024-byte plaintext; the last 16 bytes stay zero (the
// tag goes there after sealing).
func (p *PrivateToken) marshal(out *[PrivateTokenSize]byte) {
	b := out[:0]
	b = binary.LittleEndian.AppendUint64(b, p.ClientID)
	b = binary.LittleEndian.AppendUint32(b, uint32(p.TimeoutSeconds))
	b = appendAddressList(b, p.ServerAddresses)
	b = append(b, p.ClientToServerKey[:]...)
	b = append(b, p.ServerToClientKey[:]...)
	b = append(b, p.UserData[:]...)
	clear(out[len(b):])
}

// unmarshalPrivateToken parses a decrypted private token, reusing
// p.ServerAddresses' storage.
func (p *PrivateToken) unmarshal(plain []byte) error {
	if len(plain) < 8+4 {
		return fmt.Errorf("%w: private token truncated", ErrInvalidToken)
	}
	p.ClientID = binary.LittleEndian.Uint64(plain)
	p.TimeoutSeconds = int32(binary.LittleEndian.Uint32(plain[8:]))
	addrs, rest, err := readAddressList(p.ServerAddresses[:0], plain[12:])
	p.ServerAddresses = addrs
	if err != nil {
		return err
	}
	if len(rest) < 2*KeySize+UserDataSize {
		return fmt.Errorf("%w: private token truncated", ErrInvalidToken)
	}
	copy(p.ClientToServerKey[:], rest)
	copy(p.ServerToClientKey[:], rest[KeySize:])
	copy(p.UserData[:], rest[2*KeySize:])
	return nil
}

// sealPrivateToken encrypts bytes [0,1008) of plain with XChaCha20-Poly1305
// and the token's associated data into out, tag last.
func sealPrivateToken(out, plain *[PrivateTokenSize]byte, protocolID, expire uint64, nonce *[xnonceSize]byte, key *Key) {
	var ad [versionSize + 16]byte
	tokenAD(&ad, protocolID, expire)
	newXAEAD(key).Seal(out[:0], nonce[:], plain[:PrivateTokenSize-macSize], ad[:])
}

// OpenPrivateToken decrypts and parses the private part of a token.
func OpenPrivateToken(sealed *[PrivateTokenSize]byte, protocolID, expire uint64, nonce *[xnonceSize]byte, key *Key) (*PrivateToken, error) {
	var p PrivateToken
	var scratch [PrivateTokenSize]byte
	if err := openPrivateToken(&p, &scratch, sealed[:], protocolID, expire, nonce[:], newXAEAD(key)); err != nil {
		return nil, err
	}
	return &p, nil
}

func openPrivateToken(p *PrivateToken, scratch *[PrivateTokenSize]byte, sealed []byte, protocolID, expire uint64, nonce []byte, aead interface {
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}) error {
	var ad [versionSize + 16]byte
	tokenAD(&ad, protocolID, expire)
	plain, err := aead.Open(scratch[:0], nonce, sealed, ad[:])
	if err != nil {
		return ErrTokenDecrypt
	}
	return p.unmarshal(plain)
}

// MarshalBinary returns the 2048-byte token.
func (t *ConnectToken) MarshalBinary() ([]byte, error) {
	if err := checkAddressList(t.ServerAddresses, "public"); err != nil {
		return nil, err
	}
	b := make([]byte, 0, ConnectTokenSize)
	b = append(b, Version...)
	b = binary.LittleEndian.AppendUint64(b, t.ProtocolID)
	b = binary.LittleEndian.AppendUint64(b, t.CreateTimestamp)
	b = binary.LittleEndian.AppendUint64(b, t.ExpireTimestamp)
	b = append(b, t.Nonce[:]...)
	b = append(b, t.PrivateData[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(t.TimeoutSeconds))
	b = appendAddressList(b, t.ServerAddresses)
	b = append(b, t.ClientToServerKey[:]...)
	b = append(b, t.ServerToClientKey[:]...)
	return b[:ConnectTokenSize], nil
}

// ParseConnectToken reads a 2048-byte token. It checks the structure only:
// the private part stays sealed, and expiry is the server's business.
func ParseConnectToken(b []byte) (*ConnectToken, error) {
	if len(b) != ConnectTokenSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidToken, len(b), ConnectTokenSize)
	}
	if string(b[:versionSize]) != Version {
		return nil, fmt.Errorf("%w: version %q", ErrInvalidToken, b[:versionSize-1])
	}
	t := &ConnectToken{
		ProtocolID:      binary.LittleEndian.Uint64(b[13:]),
		CreateTimestamp: binary.LittleEndian.Uint64(b[21:]),
		ExpireTimestamp: binary.LittleEndian.Uint64(b[29:]),
	}
	if t.CreateTimestamp > t.ExpireTimestamp {
		return nil, fmt.Errorf("%w: created after it expires", ErrInvalidToken)
	}
	copy(t.Nonce[:], b[37:61])
	copy(t.PrivateData[:], b[61:1085])
	t.TimeoutSeconds = int32(binary.LittleEndian.Uint32(b[1085:]))
	addrs, rest, err := readAddressList(nil, b[1089:])
	if err != nil {
		return nil, err
	}
	t.ServerAddresses = addrs
	if len(rest) < 2*KeySize {
		return nil, fmt.Errorf("%w: truncated keys", ErrInvalidToken)
	}
	copy(t.ClientToServerKey[:], rest)
	copy(t.ServerToClientKey[:], rest[KeySize:])
	return t, nil
}

// Expires reports whether the token has an expiry at all.
func (t *ConnectToken) Expires() bool { return t.ExpireTimestamp != NeverExpires }

// lifetime is how long the client may keep trying to connect with t.
func (t *ConnectToken) lifetime() (time.Duration, bool) {
	if !t.Expires() {
		return 0, false
	}
	secs := t.ExpireTimestamp - t.CreateTimestamp
	if secs > uint64(math.MaxInt64/int64(time.Second)) {
		return 0, false
	}
	return time.Duration(secs) * time.Second, true
}

package tokenservice

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// MaxLeeway bounds JWTConfig.Leeway: clock skew is seconds, not minutes.
const MaxLeeway = 2 * time.Minute

// JWTConfig configures a JWT verifier.
//
// Client id: the ClientIDClaim ("sub" unless set) as a decimal uint64
// string or JSON integer. Any other string is hashed unless
// RefuseNonNumeric: the client id is then the first 8 bytes, big-endian,
// of SHA-256("lytokens/client-id/v1\x00" + value). The hash is fixed by
// this definition and will not change for a given value.
//
// User data: the UserDataClaims present in the token, as one JSON object
// (encoding/json, keys sorted), zero-padded to 256 bytes; a server reads
// it back by trimming trailing zero bytes. Claims whose JSON exceeds 256
// bytes make the credential refused.
type JWTConfig struct {
	// HS256Secret enables HS256.
	HS256Secret []byte
	// PublicKey enables RS256 (*rsa.PublicKey) or EdDSA (ed25519.PublicKey).
	PublicKey crypto.PublicKey
	// Issuer and Audience are required, and checked.
	Issuer   string
	Audience string
	// Leeway for exp and nbf, at most MaxLeeway.
	Leeway           time.Duration
	ClientIDClaim    string
	RefuseNonNumeric bool
	UserDataClaims   []string
	// Now is for tests; nil means time.Now.
	Now func() time.Time
}

// JWTVerifier is an Authenticator for JWTs.
type JWTVerifier struct {
	cfg    JWTConfig
	parser *jwt.Parser
}

// NewJWTVerifier checks cfg and builds the verifier.
func NewJWTVerifier(cfg JWTConfig) (*JWTVerifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("jwt: issuer and audience are required")
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("jwt: leeway %v outside 0..%v", cfg.Leeway, MaxLeeway)
	}
	var methods []string
	if len(cfg.HS256Secret) > 0 {
		if len(cfg.HS256Secret) < 32 {
			return nil, errors.New("jwt: HS256 secret shorter than 32 bytes")
		}
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	switch k := cfg.PublicKey.(type) {
	case nil:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("jwt: RSA key of %d bits, at least 2048", k.N.BitLen())
		}
		methods = append(methods, jwt.SigningMethodRS256.Alg())
	case ed25519.PublicKey:
		methods = append(methods, jwt.SigningMethodEdDSA.Alg())
	default:
		return nil, fmt.Errorf("jwt: unsupported public key type %T", k)
	}
	if len(methods) == 0 {
		return nil, errors.New("jwt: no key configured")
	}
	if cfg.ClientIDClaim == "" {
		cfg.ClientIDClaim = "sub"
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	p := jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(now),
		jwt.WithJSONNumber(), // large integer ids survive
	)
	return &JWTVerifier{cfg: cfg, parser: p}, nil
}

// keyFor picks the key by algorithm; WithValidMethods has already refused
// algorithms without a configured key.
func (v *JWTVerifier) keyFor(t *jwt.Token) (any, error) {
	switch t.Method.Alg() {
	case jwt.SigningMethodHS256.Alg():
		return v.cfg.HS256Secret, nil
	case jwt.SigningMethodRS256.Alg(), jwt.SigningMethodEdDSA.Alg():
		return v.cfg.PublicKey, nil
	}
	return nil, fmt.Errorf("algorithm %s", t.Method.Alg())
}

// Authenticate verifies the JWT and maps its claims to an Identity.
func (v *JWTVerifier) Authenticate(_ context.Context, credential string) (Identity, error) {
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(credential, claims, v.keyFor); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrUnauthorized, err)
	}
	var id Identity
	raw, ok := claims[v.cfg.ClientIDClaim]
	if !ok {
		return Identity{}, fmt.Errorf("%w: no %q claim", ErrUnauthorized, v.cfg.ClientIDClaim)
	}
	cid, err := v.clientID(raw)
	if err != nil {
		return Identity{}, err
	}
	id.ClientID = cid
	id.Subject, _ = claims["sub"].(string)
	if err := v.userData(claims, &id.UserData); err != nil {
		return Identity{}, err
	}
	return id, nil
}

func (v *JWTVerifier) clientID(raw any) (uint64, error) {
	var s string
	switch x := raw.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		return 0, fmt.Errorf("%w: %q claim is %T", ErrUnauthorized, v.cfg.ClientIDClaim, raw)
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, nil
	}
	if v.cfg.RefuseNonNumeric {
		return 0, fmt.Errorf("%w: %q claim is not a uint64", ErrUnauthorized, v.cfg.ClientIDClaim)
	}
	return HashClientID(s), nil
}

// HashClientID is the documented hash of a non-numeric client id claim.
func HashClientID(s string) uint64 {
	h := sha256.Sum256([]byte("lytokens/client-id/v1\x00" + s))
	return binary.BigEndian.Uint64(h[:8])
}

func (v *JWTVerifier) userData(claims jwt.MapClaims, dst *[netcode.UserDataSize]byte) error {
	if len(v.cfg.UserDataClaims) == 0 {
		return nil
	}
	sel := make(map[string]any, len(v.cfg.UserDataClaims))
	for _, name := range v.cfg.UserDataClaims {
		if c, ok := claims[name]; ok {
			sel[name] = c
		}
	}
	b, err := json.Marshal(sel)
	if err != nil {
		return fmt.Errorf("%w: user data: %v", ErrUnauthorized, err)
	}
	if len(b) > len(dst) {
		return fmt.Errorf("%w: user data claims are %d bytes, at most %d", ErrUnauthorized, len(b), len(dst))
	}
	copy(dst[:], b)
	return nil
}

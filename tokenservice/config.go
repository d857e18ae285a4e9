package tokenservice

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// maxAddresses is netcode.io's limit on server addresses in a token.
const maxAddresses = 32

// Config configures the token handler.
type Config struct {
	ProtocolID uint64
	// PrivateKey is shared with the game servers.
	PrivateKey netcode.Key
	Auth       Authenticator
	Directory  Directory
	// MaxServers per token, 1..32; zero means 32.
	MaxServers int
	// ExpireSeconds is the token lifetime, > 0 (the service never issues
	// tokens that never expire); zero means 30.
	ExpireSeconds int64
	// TimeoutSeconds is the connection timeout written into tokens; zero
	// means 5.
	TimeoutSeconds int32
	// IPRate limits requests per client IP (checked before
	// authentication); SubjectRate per authenticated subject.
	IPRate      Rate
	SubjectRate Rate
	// DirectoryTimeout bounds a Directory call; zero means 2 s.
	DirectoryTimeout time.Duration
	Logger           *slog.Logger // nil: slog.Default()
	Metrics          *Metrics     // nil: a fresh one
	Now              func() time.Time
}

func (c *Config) setDefaults() error {
	if c.Auth == nil || c.Directory == nil {
		return errors.New("tokenservice: Auth and Directory are required")
	}
	if c.PrivateKey == (netcode.Key{}) {
		return errors.New("tokenservice: private key is all zeros")
	}
	if c.MaxServers == 0 {
		c.MaxServers = maxAddresses
	}
	if c.MaxServers < 1 || c.MaxServers > maxAddresses {
		return fmt.Errorf("tokenservice: MaxServers %d outside 1..%d", c.MaxServers, maxAddresses)
	}
	if c.ExpireSeconds == 0 {
		c.ExpireSeconds = 30
	}
	if c.ExpireSeconds < 0 {
		return errors.New("tokenservice: ExpireSeconds must be positive")
	}
	if c.TimeoutSeconds == 0 {
		c.TimeoutSeconds = 5
	}
	if c.DirectoryTimeout == 0 {
		c.DirectoryTimeout = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

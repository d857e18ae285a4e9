package netcode

import (
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/conditioner"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// Conditioning simulates a bad network on a server's or client's sockets:
// Send applies to what it sends, Recv to what it receives; nil is a
// perfect link. Delays run on the endpoint's own clock (the time passed to
// Update), so a seeded run is reproducible.
type Conditioning struct {
	Send, Recv *conditioner.Config
}

func (c *Conditioning) active() bool { return c != nil && (c.Send != nil || c.Recv != nil) }

func (c *Conditioning) validate() error {
	if c == nil {
		return nil
	}
	for _, cfg := range []*conditioner.Config{c.Send, c.Recv} {
		if cfg != nil {
			if err := cfg.Validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// condition wraps raw in a conditioner when c asks for one.
func (c *Conditioning) condition(raw transport.Transport, now func() time.Duration) (transport.Transport, error) {
	if !c.active() {
		return raw, nil
	}
	return conditioner.Wrap(raw, c.Send, c.Recv, now)
}

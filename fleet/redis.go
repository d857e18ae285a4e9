package fleet

import (
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// NewRedisClient connects to a host:port, or a redis:// or rediss:// URL
// (which may carry a password and a database number). The connection is
// made lazily, by the first command.
func NewRedisClient(addr string) (*redis.Client, error) {
	if addr == "" {
		return nil, fmt.Errorf("fleet: empty Redis address")
	}
	if strings.Contains(addr, "://") {
		opt, err := redis.ParseURL(addr)
		if err != nil {
			return nil, fmt.Errorf("fleet: Redis URL: %w", err)
		}
		return redis.NewClient(opt), nil
	}
	return redis.NewClient(&redis.Options{Addr: addr}), nil
}

package fleet

import (
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// RedisOptions reads a host:port, or a redis:// or rediss:// URL (which
// may carry a password and a database number).
func RedisOptions(addr string) (*redis.Options, error) {
	if addr == "" {
		return nil, fmt.Errorf("fleet: empty Redis address")
	}
	if strings.Contains(addr, "://") {
		opt, err := redis.ParseURL(addr)
		if err != nil {
			return nil, fmt.Errorf("fleet: Redis URL: %w", err)
		}
		return opt, nil
	}
	return &redis.Options{Addr: addr}, nil
}

// NewRedisClient connects to addr as RedisOptions reads it. The
// connection is made lazily, by the first command.
func NewRedisClient(addr string) (*redis.Client, error) {
	opt, err := RedisOptions(addr)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}

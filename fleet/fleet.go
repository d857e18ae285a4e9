package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix when none is configured.
const DefaultPrefix = "lyfleet:"

// Entry is one game server's registration.
type Entry struct {
	ID        string           // unique in the fleet
	Addresses []netip.AddrPort // public addresses, in the order clients should try them
	Capacity  int              // client slots
	Connected int              // clients connected now
	Tags      []string         // a request for tag T only gets servers tagged T
}

func (e *Entry) validate() error {
	switch {
	case e.ID == "":
		return errors.New("fleet: empty server id")
	case len(e.Addresses) == 0:
		return fmt.Errorf("fleet: server %q has no address", e.ID)
	case e.Capacity <= 0:
		return fmt.Errorf("fleet: server %q: capacity %d", e.ID, e.Capacity)
	case e.Connected < 0:
		return fmt.Errorf("fleet: server %q: connected %d", e.ID, e.Connected)
	}
	for _, a := range e.Addresses {
		if !a.IsValid() || a.Port() == 0 || a.Addr().IsUnspecified() {
			return fmt.Errorf("fleet: server %q: address %v is not a public address", e.ID, a)
		}
	}
	return nil
}

// keys names the Redis keys under one prefix.
type keys struct{ prefix string }

func newKeys(prefix string) keys {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return keys{prefix}
}

func (k keys) index() string           { return k.prefix + "servers" }
func (k keys) serverPrefix() string    { return k.prefix + "server:" }
func (k keys) server(id string) string { return k.serverPrefix() + id }

// nowMS is the Redis clock in milliseconds (TIME is allowed in scripts
// since Redis 5, which replicates effects rather than scripts).
const nowMS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// KEYS: index, server hash. ARGV: ttl ms, id, addrs, capacity, connected, tags.
var registerScript = redis.NewScript(nowMS + `
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'addrs', ARGV[3], 'capacity', ARGV[4], 'connected', ARGV[5], 'tags', ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[1])), ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
return 1
`)

// KEYS: index, server hash. ARGV: ttl ms, id, connected. Answers 0 when
// the registration is gone (expired or deregistered): the caller must
// register again, as only it knows the full entry.
var heartbeatScript = redis.NewScript(nowMS + `
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'connected', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[1])), ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
return 1
`)

// KEYS: index. ARGV: server key prefix. Answers {id, addrs, capacity,
// connected, tags} per live server.
var listScript = redis.NewScript(nowMS + `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%.0f', now), '+inf')
local out = {}
for _, id in ipairs(ids) do
  local h = redis.call('HMGET', ARGV[1] .. id, 'addrs', 'capacity', 'connected', 'tags')
  if h[1] and h[2] and h[3] and h[4] then
    out[#out + 1] = {id, h[1], h[2], h[3], h[4]}
  end
end
return out
`)

// ErrNotRegistered is returned by Heartbeat when the server's registration
// has expired or was removed.
var ErrNotRegistered = errors.New("fleet: server not registered")

// Registrar registers game servers. It is safe for concurrent use.
type Registrar struct {
	rdb redis.UniversalClient
	k   keys
	ttl time.Duration
}

// NewRegistrar writes under prefix ("" means DefaultPrefix); a
// registration lives ttl (at least 1 ms, rounded down to milliseconds)
// after its last Register or Heartbeat.
func NewRegistrar(rdb redis.UniversalClient, prefix string, ttl time.Duration) (*Registrar, error) {
	if ttl < time.Millisecond {
		return nil, fmt.Errorf("fleet: TTL %v is shorter than 1 ms", ttl)
	}
	return &Registrar{rdb: rdb, k: newKeys(prefix), ttl: ttl}, nil
}

// TTL is the registration lifetime.
func (r *Registrar) TTL() time.Duration { return r.ttl }

// Register adds or replaces e.
func (r *Registrar) Register(ctx context.Context, e Entry) error {
	if err := e.validate(); err != nil {
		return err
	}
	addrs := make([]string, len(e.Addresses))
	for i, a := range e.Addresses {
		addrs[i] = a.String()
	}
	tags := e.Tags
	if tags == nil {
		tags = []string{}
	}
	ja, _ := json.Marshal(addrs)
	jt, err := json.Marshal(tags)
	if err != nil {
		return err
	}
	return registerScript.Run(ctx, r.rdb, []string{r.k.index(), r.k.server(e.ID)},
		r.ttl.Milliseconds(), e.ID, ja, e.Capacity, e.Connected, jt).Err()
}

// Heartbeat extends id's registration by the TTL and records its
// connected count; ErrNotRegistered means Register again.
func (r *Registrar) Heartbeat(ctx context.Context, id string, connected int) error {
	if connected < 0 {
		return fmt.Errorf("fleet: server %q: connected %d", id, connected)
	}
	n, err := heartbeatScript.Run(ctx, r.rdb, []string{r.k.index(), r.k.server(id)},
		r.ttl.Milliseconds(), id, connected).Int()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotRegistered
	}
	return nil
}

// Deregister removes id at once (a server shutting down).
func (r *Registrar) Deregister(ctx context.Context, id string) error {
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, r.k.index(), id)
		p.Del(ctx, r.k.server(id))
		return nil
	})
	return err
}

// live reads every live entry.
func live(ctx context.Context, rdb redis.UniversalClient, k keys) ([]Entry, error) {
	res, err := listScript.Run(ctx, rdb, []string{k.index()}, k.serverPrefix()).Slice()
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(res))
	for _, row := range res {
		f, ok := row.([]any)
		if !ok || len(f) != 5 {
			return nil, fmt.Errorf("fleet: unexpected list reply %T", row)
		}
		var s [5]string
		for i := range s {
			if s[i], ok = f[i].(string); !ok {
				return nil, fmt.Errorf("fleet: unexpected list field %T", f[i])
			}
		}
		e, err := decode(s)
		if err != nil {
			// One malformed entry (another writer, a version skew) must not
			// hide the rest of the fleet.
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func decode(s [5]string) (Entry, error) {
	e := Entry{ID: s[0]}
	var addrs []string
	if err := json.Unmarshal([]byte(s[1]), &addrs); err != nil {
		return e, err
	}
	for _, a := range addrs {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			return e, err
		}
		e.Addresses = append(e.Addresses, ap)
	}
	var err error
	if e.Capacity, err = strconv.Atoi(s[2]); err != nil {
		return e, err
	}
	if e.Connected, err = strconv.Atoi(s[3]); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(s[4]), &e.Tags); err != nil {
		return e, err
	}
	return e, e.validate()
}

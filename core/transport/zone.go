//go:build linux || windows

package transport

import (
	"net"
	"strconv"
)

// zoneCache translates IPv6 scope ids and zone names, which only link-local
// peers carry. It looks each interface up once, so steady traffic to the
// same interfaces does not allocate. Unsafe for concurrent use: ReadBatch
// and WriteBatch each own one.
type zoneCache struct {
	names   map[uint32]string
	indexes map[string]uint32
}

func (z *zoneCache) name(index uint32) string {
	if s, ok := z.names[index]; ok {
		return s
	}
	ifi, err := net.InterfaceByIndex(int(index))
	if err != nil {
		return strconv.FormatUint(uint64(index), 10) // not cached: it may appear later
	}
	s := ifi.Name
	if z.names == nil {
		z.names = make(map[uint32]string)
	}
	z.names[index] = s
	return s
}

func (z *zoneCache) index(name string) uint32 {
	if i, ok := z.indexes[name]; ok {
		return i
	}
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		return uint32(n)
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return 0 // not cached: it may appear later
	}
	i := uint32(ifi.Index)
	if z.indexes == nil {
		z.indexes = make(map[string]uint32)
	}
	z.indexes[name] = i
	return i
}

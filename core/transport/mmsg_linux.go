package transport

import (
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxBatch is how many datagrams one recvmmsg or sendmmsg call moves. Larger
// write batches are sent in chunks; ReadBatch returns at most this many.
const maxBatch = 64

// mmsgBatch is the kernel-facing scratch for one direction of a socket,
// allocated once so that a batch call allocates nothing. Each header points
// at its own iovec and sockaddr for its whole life; a call only fills in
// buffer pointers and lengths.
type mmsgBatch struct {
	hdrs  [maxBatch]unix.Mmsghdr
	iovs  [maxBatch]unix.Iovec
	names [maxBatch]unix.RawSockaddrInet6 // large enough for either family
}

func (b *mmsgBatch) init() {
	for i := range b.hdrs {
		h := &b.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Iov = &b.iovs[i]
		h.SetIovlen(1)
	}
}

// recvmmsg reads up to len(hdrs) datagrams without waiting.
func recvmmsg(fd uintptr, hdrs []unix.Mmsghdr) (int, syscall.Errno) {
	var p unsafe.Pointer
	if len(hdrs) > 0 {
		p = unsafe.Pointer(&hdrs[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(p), uintptr(len(hdrs)), unix.MSG_DONTWAIT, 0, 0)
	return int(n), errno
}

// sendmmsg sends hdrs in order. The kernel stops at the first datagram that
// fails: it returns how many went before it, or the error if none did.
func sendmmsg(fd uintptr, hdrs []unix.Mmsghdr) (int, syscall.Errno) {
	var p unsafe.Pointer
	if len(hdrs) > 0 {
		p = unsafe.Pointer(&hdrs[0])
	}
	n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(p), uintptr(len(hdrs)), unix.MSG_DONTWAIT, 0, 0)
	return int(n), errno
}

// mmsgSupported probes both calls with zero-length batches: a kernel without
// them (or a seccomp filter refusing them) answers ENOSYS or EPERM.
func mmsgSupported(fd uintptr, b *mmsgBatch) bool {
	for _, call := range [...]func(uintptr, []unix.Mmsghdr) (int, syscall.Errno){recvmmsg, sendmmsg} {
		switch _, errno := call(fd, b.hdrs[:0]); errno {
		case unix.ENOSYS, unix.EPERM, unix.EACCES:
			return false
		}
	}
	return true
}

// decodeSockaddr turns a received sockaddr into an AddrPort, unmapping IPv4
// peers of a dual-stack socket. zones names link-local scopes.
func decodeSockaddr(sa *unix.RawSockaddrInet6, namelen uint32, zones *zoneCache) (netip.AddrPort, bool) {
	switch {
	case sa.Family == unix.AF_INET && namelen >= unix.SizeofSockaddrInet4:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), getPort(&sa4.Port)), true
	case sa.Family == unix.AF_INET6 && namelen >= unix.SizeofSockaddrInet6:
		ip := netip.AddrFrom16(sa.Addr)
		if ip.Is4In6() {
			ip = ip.Unmap()
		} else if sa.Scope_id != 0 {
			ip = ip.WithZone(zones.name(sa.Scope_id))
		}
		return netip.AddrPortFrom(ip, getPort(&sa.Port)), true
	}
	return netip.AddrPort{}, false
}

// encodeSockaddr writes ap for a socket of the given family and returns the
// sockaddr length, or false when this socket cannot reach ap. IPv4
// destinations are mapped for an IPv6 socket, which reaches them if it is
// dual-stack and refuses them (a skipped datagram) if not.
func encodeSockaddr(sa *unix.RawSockaddrInet6, ap netip.AddrPort, is4 bool, zones *zoneCache) (uint32, bool) {
	ip := ap.Addr()
	if is4 {
		ip = ip.Unmap()
		if !ip.Is4() {
			return 0, false
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
		putPort(&sa4.Port, ap.Port())
		return unix.SizeofSockaddrInet4, true
	}
	if !ip.IsValid() {
		return 0, false
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		sa.Scope_id = zones.index(z)
	}
	putPort(&sa.Port, ap.Port())
	return unix.SizeofSockaddrInet6, true
}

// transientErrno reports errors that concern one peer, not the socket: ICMP
// feedback from an earlier datagram, or a refusal of this one.
func transientErrno(errno syscall.Errno) bool {
	switch errno {
	case unix.ECONNREFUSED, unix.ECONNRESET, unix.EHOSTUNREACH, unix.EHOSTDOWN,
		unix.ENETUNREACH, unix.ENETDOWN, unix.EMSGSIZE, unix.ENOPROTOOPT,
		unix.EOPNOTSUPP, unix.EACCES, unix.EPERM, unix.ENOBUFS, unix.ENOMEM,
		unix.EINVAL, unix.EAFNOSUPPORT, unix.EADDRNOTAVAIL, unix.ETIMEDOUT, unix.EPROTO:
		return true
	}
	return false
}

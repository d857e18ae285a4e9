package main

import (
	"errors"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

// rawSock is the load generator's client socket: a non-blocking IPv4 UDP
// socket bound to 127.0.0.1 that implements transport.Transport with plain
// recvfrom/sendto, and whose descriptor is registered with the client
// process's epoll set. The library's transport.UDP hides its descriptor, and
// one loop waiting on a thousand sockets needs it; the server side, which is
// what we measure, always uses transport.UDP.
type rawSock struct {
	fd      int
	local   netip.AddrPort
	drained bool // the last ReadBatch stopped at EAGAIN
}

func openRawSock(ep *epoller, tag int) (*rawSock, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 256<<10)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		unix.Close(fd)
		return nil, errors.New("lyload: not an IPv4 socket")
	}
	s := &rawSock{fd: fd, local: netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), uint16(in4.Port))}
	if ep != nil {
		if err := ep.add(fd, tag); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	return s, nil
}

var _ transport.ReadDrainer = (*rawSock)(nil)

func (s *rawSock) ReadBatch(msgs []transport.Message) (int, error) {
	s.drained = false
	for i := 0; i < len(msgs); {
		n, from, err := unix.Recvfrom(s.fd, msgs[i].Buf, unix.MSG_DONTWAIT)
		switch err {
		case nil:
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			s.drained = true
			return i, nil
		default:
			return i, err
		}
		msgs[i].N = n
		if in4, ok := from.(*unix.SockaddrInet4); ok {
			msgs[i].Addr = netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), uint16(in4.Port))
		}
		i++
	}
	return len(msgs), nil
}

// ReadDrained implements transport.ReadDrainer: the last ReadBatch stopped
// because recvfrom found the socket empty.
func (s *rawSock) ReadDrained() bool { return s.drained }

func (s *rawSock) WriteBatch(msgs []transport.Message) (int, error) {
	for i := range msgs {
		a := msgs[i].Addr.Addr().As4()
		err := unix.Sendto(s.fd, msgs[i].Buf[:msgs[i].N], 0, &unix.SockaddrInet4{Addr: a, Port: int(msgs[i].Addr.Port())})
		if err != nil && err != unix.EAGAIN && err != unix.ENOBUFS && err != unix.ECONNREFUSED {
			return i, err
		}
	}
	return len(msgs), nil
}

func (s *rawSock) LocalAddr() netip.AddrPort { return s.local }

func (s *rawSock) Close() error {
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}

// epoller waits on many client sockets at once; each carries a tag, the
// client's index.
type epoller struct {
	fd     int
	events []unix.EpollEvent
}

func newEpoller() (*epoller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &epoller{fd: fd, events: make([]unix.EpollEvent, 512)}, nil
}

func (e *epoller) add(fd, tag int) error {
	return unix.EpollCtl(e.fd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(tag)})
}

// wait returns the tags of the ready sockets, waiting at most timeoutMs.
func (e *epoller) wait(timeoutMs int, dst []int) []int {
	n, err := unix.EpollWait(e.fd, e.events, timeoutMs)
	if err != nil {
		return dst
	}
	for i := 0; i < n; i++ {
		dst = append(dst, int(e.events[i].Fd))
	}
	return dst
}

func (e *epoller) close() { unix.Close(e.fd) }

// Package webclient is the client side of the browser transports in Go:
// a transport.Transport over one WebSocket connection or one WebTransport
// session, for netcode.ClientConfig.Dial. It exists for tests, bots and
// load tools; browsers use the TypeScript client.
//
// Every packet read appears to come from the server address the token
// named, which is what the netcode client checks.
package webclient

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
	"github.com/quic-go/webtransport-go"

	"github.com/lightyear-conn/lightyear_conn/core/transport"
)

const queueLimit = 1024

// Conn is a client transport. ReadBatch never blocks: a goroutine reads
// into a bounded queue (more is dropped and counted). WriteBatch writes
// each message before it returns.
type Conn struct {
	server netip.AddrPort
	local  netip.AddrPort
	send   func(b []byte) error
	close  func()

	mu      sync.Mutex
	q       [][]byte
	closed  atomic.Bool
	Dropped atomic.Uint64 // received messages lost to a full queue
	done    chan struct{}
}

var _ transport.Transport = (*Conn)(nil)

func newConn(server netip.AddrPort) *Conn {
	return &Conn{server: server, local: netip.AddrPortFrom(netip.IPv4Unspecified(), 0), done: make(chan struct{})}
}

func (c *Conn) push(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.q) >= queueLimit {
		c.Dropped.Add(1)
		return
	}
	c.q = append(c.q, b)
}

// DialWS connects to a ws:// or wss:// URL; packets read appear to come
// from server.
func DialWS(ctx context.Context, url string, server netip.AddrPort, opts *websocket.DialOptions) (*Conn, error) {
	ws, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("webclient: %w", err)
	}
	c := newConn(server)
	c.send = func(b []byte) error { // Close unblocks it
		return ws.Write(context.Background(), websocket.MessageBinary, b)
	}
	c.close = func() { ws.CloseNow() }
	go func() {
		defer close(c.done)
		for {
			typ, b, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			if typ == websocket.MessageBinary {
				c.push(b)
			}
		}
	}()
	return c, nil
}

// PinnedTLS is a TLS client configuration that accepts a server whose
// certificate's SHA-256 hash is one of hashes, as a browser's
// serverCertificateHashes does, and nothing else.
func PinnedTLS(hashes ...[32]byte) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyConnection: func(st tls.ConnectionState) error {
			if len(st.PeerCertificates) == 0 {
				return errors.New("webclient: no server certificate")
			}
			h := sha256.Sum256(st.PeerCertificates[0].Raw)
			for _, want := range hashes {
				if h == want {
					return nil
				}
			}
			return errors.New("webclient: server certificate hash not pinned")
		},
	}
}

// DialWT opens a WebTransport session to an https:// URL; packets read
// appear to come from server.
func DialWT(ctx context.Context, url string, server netip.AddrPort, tlsConf *tls.Config) (*Conn, error) {
	d := &webtransport.Transport{TLSClientConfig: tlsConf}
	_, sess, err := d.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("webclient: %w", err)
	}
	c := newConn(server)
	c.send = sess.SendDatagram
	c.close = func() { sess.CloseWithError(0, ""); d.Close() }
	go func() {
		defer close(c.done)
		for {
			b, err := sess.ReceiveDatagram(context.Background())
			if err != nil {
				return
			}
			c.push(b)
		}
	}()
	return c, nil
}

// ReadBatch returns what arrived, oldest first.
func (c *Conn) ReadBatch(msgs []transport.Message) (int, error) {
	if c.closed.Load() {
		return 0, transport.ErrClosed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for ; n < len(msgs) && len(c.q) > 0; n++ {
		b := c.q[0]
		c.q = c.q[1:]
		m := &msgs[n]
		m.N = copy(m.Buf, b)
		m.Truncated = m.N < len(b)
		m.Addr = c.server
	}
	return n, nil
}

// WriteBatch sends every message to the server, whatever its Addr.
func (c *Conn) WriteBatch(msgs []transport.Message) (int, error) {
	if c.closed.Load() {
		return 0, transport.ErrClosed
	}
	for i := range msgs {
		_ = c.send(msgs[i].Buf[:msgs[i].N]) // lossy, like UDP
	}
	return len(msgs), nil
}

// Send writes raw bytes, for tests of hostile input.
func (c *Conn) Send(b []byte) error { return c.send(b) }

func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// Close ends the connection and waits for the reader.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.close()
	<-c.done
	return nil
}

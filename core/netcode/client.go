package netcode

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/internal/eventq"
)

// ClientConfig configures a Client. The zero value works: UDP sockets and
// a 256-payload receive queue.
type ClientConfig struct {
	// ClientID is reported by ID. The public part of a connect token does
	// not carry the client id, so a client made from token bytes only
	// knows it if told here.
	ClientID uint64
	// Dial opens the client's socket for a server address. The default
	// binds UDP on the unspecified address of the server's family, port 0.
	Dial func(server netip.AddrPort) (transport.Transport, error)
	// Conditioning, when set, simulates a bad network on the client's
	// socket (see SetConditioning).
	Conditioning *Conditioning
	// ReceiveQueueSize bounds the payloads waiting for Receive; more are
	// dropped and counted. Default 256.
	ReceiveQueueSize int
	// MaxReadsPerUpdate bounds the datagrams one Update reads; default
	// DefaultMaxReadsPerUpdate. Update reads until the socket is empty or
	// this many were read, so that a flood cannot keep one Update reading
	// forever; what is left waits in the socket's buffer for the next one.
	MaxReadsPerUpdate int
}

// DialUDP is the default ClientConfig.Dial. It fails for an IPv6 server
// on a host without IPv6 (the error wraps syscall.EAFNOSUPPORT), so that
// Connect moves on to the token's next address at once.
func DialUDP(server netip.AddrPort) (transport.Transport, error) {
	local := netip.IPv4Unspecified()
	if !server.Addr().Unmap().Is4() {
		local = netip.IPv6Unspecified()
	}
	u, err := listenUDP(netip.AddrPortFrom(local, 0))
	if err != nil {
		return nil, err
	}
	// [::] falls back to an IPv4 socket when the kernel has no IPv6: one
	// that could never reach this server.
	if !sameFamily(u.LocalAddr(), server) {
		u.Close()
		return nil, fmt.Errorf("netcode: no IPv6 socket for %v on this host: %w", server, syscall.EAFNOSUPPORT)
	}
	return u, nil
}

// listenUDP is transport.ListenUDP; a test replaces it to act as a host
// without IPv6.
var listenUDP = transport.ListenUDP

const readBatch = 32

// neverSent is Client.lastSend before the first packet of an attempt, so
// that it goes at once. (A reading before the clock's start, like now-1h,
// would overflow now-lastSend near core.MaxClock.)
const neverSent = time.Duration(-1)

// Client is a netcode.io client. It implements core.Client.
//
// Unsafe for concurrent use: one goroutine drives it.
type Client struct {
	cfg      ClientConfig
	rawToken []byte
	// mint, when set, makes a fresh token for every Connect (manual mode).
	mint     func() ([]byte, error)
	token    *ConnectToken
	codec    codec
	c2s, s2c cipher.AEAD

	tr     transport.Transport // raw, or raw wrapped in a link conditioner
	raw    transport.Transport
	clock  func() time.Duration // c.now, for the link conditioner
	closed bool

	state       core.ClientState
	reason      core.DisconnectReason
	now         time.Duration // summed dt, saturated at core.MaxClock
	connectedAt time.Duration // when the current attempt started
	lastSend    time.Duration // or neverSent
	lastRecv    time.Duration

	serverIndex int
	server      netip.AddrPort
	sequence    uint64
	replay      replayWindow

	challengeSeq   uint64
	challengeToken [ChallengeTokenSize]byte
	clientIndex    uint32
	maxClients     uint32

	pendingDisconnect core.ClientState // state to end in after this update, or 0
	pendingSet        bool

	received eventq.Queue
	current  core.Event // the payload handed out by the last Receive
	stats    core.Stats

	rx   [readBatch]transport.Message
	rxb  [readBatch][transport.MaxDatagram]byte
	tx   [1]transport.Message
	txb  [maxPacketSize]byte
	reqb [requestPacketSize]byte
}

var _ core.Client = (*Client)(nil)

// NewClient makes an idle client for a serialized connect token. The token
// is checked by Connect, which ends in StateInvalidConnectToken if it is
// not a valid token.
func NewClient(token []byte, cfg ClientConfig) *Client {
	if cfg.Dial == nil {
		cfg.Dial = DialUDP
	}
	if cfg.ReceiveQueueSize <= 0 {
		cfg.ReceiveQueueSize = 256
	}
	if cfg.MaxReadsPerUpdate <= 0 {
		cfg.MaxReadsPerUpdate = DefaultMaxReadsPerUpdate
	}
	c := &Client{cfg: cfg, rawToken: append([]byte(nil), token...), received: eventq.New(cfg.ReceiveQueueSize)}
	for i := range c.rx {
		c.rx[i].Buf = c.rxb[i][:]
	}
	c.clock = func() time.Duration { return c.now }
	return c
}

// NewManualClient makes a client that generates its own token for every
// Connect (lightyear's Authentication::Manual): the client holds the
// servers' private key, so this is for tests and trusted setups only. The
// tokens expire after 30 s and time out after 5 s, with zero user data.
func NewManualClient(server netip.AddrPort, clientID, protocolID uint64, privateKey Key, cfg ClientConfig) (*Client, error) {
	if !server.IsValid() {
		return nil, fmt.Errorf("%w: server %v", ErrInvalidAddress, server)
	}
	cfg.ClientID = clientID
	c := NewClient(nil, cfg)
	c.mint = func() ([]byte, error) {
		t, err := GenerateConnectToken(TokenParams{
			ProtocolID: protocolID, ClientID: clientID, PrivateKey: privateKey,
			PublicAddresses: []netip.AddrPort{server}, ExpireSeconds: 30, TimeoutSeconds: 5,
		})
		if err != nil {
			return nil, err
		}
		return t.MarshalBinary()
	}
	return c, nil
}

// SetToken replaces the connect token used by the next Connect: a consumed
// token is never accepted again, so reconnecting needs a fresh one.
func (c *Client) SetToken(token []byte) error {
	if c.closed {
		return core.ErrClosed
	}
	if c.state > core.StateDisconnected {
		return core.ErrAlreadyActive
	}
	c.rawToken = append(c.rawToken[:0], token...)
	c.token = nil
	c.mint = nil
	return nil
}

// Connect parses the token and starts the handshake with its first server
// address whose socket opens: an address whose family this host cannot
// open (IPv6 on a kernel without it) is skipped, as a timed-out one is
// later. Connect fails only when no address can be used.
func (c *Client) Connect() error {
	if c.closed {
		return core.ErrClosed
	}
	if c.state > core.StateDisconnected {
		return core.ErrAlreadyActive
	}
	if c.mint != nil {
		b, err := c.mint()
		if err != nil {
			c.state, c.reason = core.StateInvalidConnectToken, core.ReasonInvalidToken
			return err
		}
		c.rawToken = b
	}
	t, err := ParseConnectToken(c.rawToken)
	if err != nil {
		c.state, c.reason = core.StateInvalidConnectToken, core.ReasonInvalidToken
		return err
	}
	c.token = t
	c.codec.init(t.ProtocolID)
	c.c2s, c.s2c = newAEAD(&t.ClientToServerKey), newAEAD(&t.ServerToClientKey)
	c.received.Clear()
	c.connectedAt = c.now
	if err := c.attemptFrom(0); err != nil {
		c.finish(core.StateDisconnected, core.ReasonTransportError)
		return err
	}
	return nil
}

// attemptFrom begins the handshake with the first server address from
// index i on whose socket opens, and returns every open error if none
// does. i must be a valid index.
func (c *Client) attemptFrom(i int) error {
	var errs []error
	for ; i < len(c.token.ServerAddresses); i++ {
		c.serverIndex = i
		err := c.startAttempt()
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// startAttempt begins the handshake with server address serverIndex.
func (c *Client) startAttempt() error {
	c.server = c.token.ServerAddresses[c.serverIndex]
	if c.tr == nil || !sameFamily(c.tr.LocalAddr(), c.server) {
		if c.tr != nil {
			c.tr.Close()
			c.tr, c.raw = nil, nil
		}
		raw, err := c.cfg.Dial(c.server)
		if err != nil {
			return fmt.Errorf("netcode: opening client socket for %v: %w", c.server, err)
		}
		tr, err := c.cfg.Conditioning.condition(raw, c.clock)
		if err != nil {
			raw.Close()
			return err
		}
		c.raw, c.tr = raw, tr
	}
	c.state, c.reason = core.StateSendingRequest, core.ReasonNone
	c.sequence = 0
	c.replay.reset()
	c.lastSend = neverSent
	c.lastRecv = c.now
	c.pendingSet = false
	c.clientIndex, c.maxClients = 0, 0
	return nil
}

// sameFamily reports whether a socket bound at local can reach server. A
// dual-stack IPv6 socket reaches both; an IPv4 one only IPv4.
func sameFamily(local, server netip.AddrPort) bool {
	l, s := local.Addr().Unmap(), server.Addr().Unmap()
	if l.Is4() {
		return s.Is4()
	}
	return !s.Is4() || l.IsUnspecified()
}

// tryNextServer moves to the next address in the token whose socket
// opens, if there is one.
func (c *Client) tryNextServer() bool {
	return c.serverIndex+1 < len(c.token.ServerAddresses) && c.attemptFrom(c.serverIndex+1) == nil
}

// finish ends the connection or attempt in state s.
func (c *Client) finish(s core.ClientState, r core.DisconnectReason) {
	c.state, c.reason = s, r
	c.pendingSet = false
}

// Disconnect tells a connected server, with redundant disconnect packets
// (released at once by a link conditioner, which may still lose them),
// and ends the connection or the attempt.
func (c *Client) Disconnect() error {
	if c.closed {
		return core.ErrClosed
	}
	if c.state == core.StateConnected {
		for i := 0; i < disconnectRedundancy; i++ {
			c.sendEncrypted(PacketDisconnect, 0)
		}
		// No Update follows a disconnect to release what a link
		// conditioner delays: it goes now (its loss still applies).
		drain(c.tr)
	}
	if c.state > core.StateDisconnected {
		c.finish(core.StateDisconnected, core.ReasonLocal)
	}
	return nil
}

func (c *Client) Close() error {
	if c.closed {
		return nil
	}
	c.Disconnect()
	c.closed = true
	if c.tr != nil {
		return c.tr.Close()
	}
	return nil
}

func (c *Client) Update(dt time.Duration) error {
	if c.closed {
		return core.ErrClosed
	}
	if dt < 0 {
		return fmt.Errorf("%w: negative dt", core.ErrInvalidArgument)
	}
	c.now = core.AdvanceClock(c.now, dt)
	if c.state <= core.StateDisconnected {
		return nil
	}
	if err := c.receive(); err != nil {
		c.finish(core.StateDisconnected, core.ReasonTransportError)
		return err
	}
	c.sendDue()

	if c.state.IsConnecting() {
		if life, ok := c.token.lifetime(); ok && c.now-c.connectedAt >= life {
			c.finish(core.StateConnectTokenExpired, core.ReasonTokenExpired)
			return nil
		}
	}
	if c.pendingSet {
		s := c.pendingDisconnect
		if s == core.StateConnectionDenied && c.tryNextServer() {
			return nil
		}
		r := core.ReasonForState(s)
		if s == core.StateDisconnected {
			r = core.ReasonRemote
		}
		c.finish(s, r)
		return nil
	}
	if c.timedOut() {
		switch c.state {
		case core.StateSendingRequest:
			if !c.tryNextServer() {
				c.finish(core.StateConnectionRequestTimeout, core.ReasonRequestTimedOut)
			}
		case core.StateSendingResponse:
			if !c.tryNextServer() {
				c.finish(core.StateConnectionResponseTimeout, core.ReasonResponseTimedOut)
			}
		case core.StateConnected:
			c.finish(core.StateConnectionTimedOut, core.ReasonTimedOut)
		}
	}
	return nil
}

// timedOut: nothing for longer than the token's timeout (> 0 only).
func (c *Client) timedOut() bool {
	t := c.token.TimeoutSeconds
	return t > 0 && c.now-c.lastRecv > time.Duration(t)*time.Second
}

// receive handles what arrived until the transport reports nothing pending
// (a read of 0, or readDrained; a short batch may come from a socket with
// more queued) or MaxReadsPerUpdate datagrams were read.
func (c *Client) receive() error {
	for read := 0; read < c.cfg.MaxReadsPerUpdate; {
		n, err := c.tr.ReadBatch(c.rx[:min(len(c.rx), c.cfg.MaxReadsPerUpdate-read)])
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		read += n
		for i := range n {
			m := &c.rx[i]
			c.stats.PacketsReceived++
			c.stats.BytesReceived += uint64(m.N)
			d := DropOversized // larger than any netcode packet: nothing to parse
			if !m.Truncated && m.N <= maxPacketSize {
				d = c.handle(m.Buf[:m.N], m.Addr)
			}
			if d != DropNone {
				countDrop(&c.stats, d)
			}
		}
		if readDrained(c.tr) {
			return nil
		}
	}
	return nil
}

// readDrained reports whether tr's last ReadBatch emptied its socket, when
// tr can tell: that saves the read that would return 0 (a system call per
// socket per update on Linux).
func readDrained(tr transport.Transport) bool {
	d, ok := tr.(transport.ReadDrainer)
	return ok && d.ReadDrained()
}

func (c *Client) handle(pkt []byte, from netip.AddrPort) DropReason {
	if !sameAddr(from, c.server) {
		return DropUnknownAddress
	}
	h, body, drop := c.codec.readEncrypted(pkt, clientAccepts, c.s2c, &c.replay)
	if drop != DropNone {
		return drop
	}
	switch h.typ {
	case PacketDenied:
		if !c.state.IsConnecting() {
			return DropRejected
		}
		c.pendingDisconnect, c.pendingSet = core.StateConnectionDenied, true
	case PacketChallenge:
		if c.state != core.StateSendingRequest {
			return DropRejected
		}
		c.challengeSeq = binary.LittleEndian.Uint64(body)
		copy(c.challengeToken[:], body[8:])
		c.state = core.StateSendingResponse
	case PacketKeepAlive:
		switch c.state {
		case core.StateSendingResponse:
			c.clientIndex = binary.LittleEndian.Uint32(body)
			c.maxClients = binary.LittleEndian.Uint32(body[4:])
			c.state = core.StateConnected
		case core.StateConnected:
		default:
			return DropRejected
		}
	case PacketPayload:
		if c.state != core.StateConnected {
			return DropRejected
		}
		if !c.received.Push(core.Event{Type: core.EventPayload, Payload: body}) {
			return DropQueueFull
		}
	case PacketDisconnect:
		if c.state != core.StateConnected {
			return DropRejected
		}
		c.pendingDisconnect, c.pendingSet = core.StateDisconnected, true
	}
	c.lastRecv = c.now
	return DropNone
}

// sendDue sends the handshake packet or keep-alive when 0.1 s has passed
// since the last packet sent.
func (c *Client) sendDue() {
	if c.lastSend != neverSent && c.now-c.lastSend < sendRate {
		return
	}
	switch c.state {
	case core.StateSendingRequest:
		writeRequest(&c.reqb, c.token)
		c.write(c.reqb[:])
		c.sequence++ // the request uses up sequence 0, as the reference's does
	case core.StateSendingResponse:
		hdr := headerSize(c.sequence)
		binary.LittleEndian.PutUint64(c.txb[hdr:], c.challengeSeq)
		copy(c.txb[hdr+8:], c.challengeToken[:])
		c.sendEncrypted(PacketResponse, challengeBodySize)
	case core.StateConnected:
		hdr := headerSize(c.sequence)
		clear(c.txb[hdr : hdr+keepAliveBodySize])
		c.sendEncrypted(PacketKeepAlive, keepAliveBodySize)
	}
}

// sendEncrypted seals the body already written after the header in txb.
func (c *Client) sendEncrypted(t PacketType, bodyLen int) {
	pkt := c.codec.seal(c.txb[:], t, c.sequence, bodyLen, c.c2s)
	c.sequence++
	c.write(pkt)
}

func (c *Client) write(pkt []byte) {
	c.tx[0] = transport.Message{Buf: pkt, N: len(pkt), Addr: c.server}
	if n, err := c.tr.WriteBatch(c.tx[:]); err == nil && n == 1 {
		c.stats.PacketsSent++
		c.stats.BytesSent += uint64(len(pkt))
	}
	c.lastSend = c.now
}

func (c *Client) Send(payload []byte) error {
	if c.closed {
		return core.ErrClosed
	}
	if len(payload) < 1 || len(payload) > MaxPayloadSize {
		return fmt.Errorf("%w: %d bytes", core.ErrPayloadSize, len(payload))
	}
	if c.state != core.StateConnected {
		return core.ErrNotConnected
	}
	hdr := headerSize(c.sequence)
	copy(c.txb[hdr:], payload)
	c.sendEncrypted(PacketPayload, len(payload))
	return nil
}

func (c *Client) Receive() ([]byte, bool) {
	if !c.received.Pop(&c.current) {
		return nil, false
	}
	return c.current.Payload, true
}

func (c *Client) State() core.ClientState                 { return c.state }
func (c *Client) DisconnectReason() core.DisconnectReason { return c.reason }
func (c *Client) ID() core.ClientID                       { return core.NetcodeID(c.cfg.ClientID) }

func (c *Client) LocalAddr() netip.AddrPort {
	if c.tr == nil {
		return netip.AddrPort{}
	}
	return c.tr.LocalAddr()
}

// ServerAddr is the address of the server being tried or connected to.
func (c *Client) ServerAddr() netip.AddrPort { return c.server }

// ClientIndex and MaxClients are what the server's first keep-alive said.
func (c *Client) ClientIndex() uint32 { return c.clientIndex }
func (c *Client) MaxClients() uint32  { return c.maxClients }

// Stats returns the client's counters.
func (c *Client) Stats() core.Stats {
	s := c.stats
	s.SinceLastReceive = c.now - c.lastRecv
	return s
}

// SetConditioning changes the simulated network on the client's socket;
// nil turns it off.
func (c *Client) SetConditioning(cond *Conditioning) error {
	if err := cond.validate(); err != nil {
		return fmt.Errorf("%w: %w", core.ErrInvalidArgument, err)
	}
	if cond != nil {
		copied := *cond
		cond = &copied
	}
	c.cfg.Conditioning = cond
	if c.raw != nil {
		tr, err := cond.condition(c.raw, c.clock)
		if err != nil {
			return err
		}
		c.tr = tr
	}
	return nil
}

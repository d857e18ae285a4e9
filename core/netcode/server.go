package netcode

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/internal/eventq"
)

// globalSequenceStart is where the server's pre-connection sequence (denied
// and challenge packets) starts, so its nonces never meet the per-client
// sequences that start at 0.
const globalSequenceStart = 1 << 63

const mappingSweepInterval = time.Second

// pendingQuietLimit is how long a handshake whose token disables timeouts
// may go quiet before the server forgets it: a client resends its request
// or response every 0.1 s, so a handshake silent this long is abandoned,
// and without a limit it would hold its pending slot forever (for good
// with a token that never expires).
const pendingQuietLimit = 10 * time.Second

// warningInterval is the least time between two warnings of one kind.
const warningInterval = time.Second

// Server is a netcode.io server. It implements core.Server.
//
// Unsafe for concurrent use: one goroutine drives it.
type Server struct {
	cfg      ServerConfig
	public   []netip.AddrPort
	codec    codec
	tokenKey cipher.AEAD // XChaCha20-Poly1305 with the private key

	running   bool
	socks     []*outbox
	clock     func() time.Duration // s.now, for the link conditioner
	now       time.Duration        // summed dt, saturated at core.MaxClock
	nowUnix   uint64
	lastSweep time.Duration
	// minExpire is the restart rule: a token expiring before the first
	// Start plus MaxTokenLifetime may have been made before this server
	// existed, and used on an earlier one whose history died with it.
	minExpire uint64

	challengeAEAD cipher.AEAD
	challengeSeq  uint64
	globalSeq     uint64
	challenge     ChallengeToken

	slots     []*conn // by client index; nil when free
	free      []int   // free client indices, a stack
	connected []*conn // dense, for per-tick loops
	byAddr    map[peer]*conn
	byID      map[uint64]*conn
	pending   map[peer]*pendingClient
	tokens    tokenHistory
	// lastWarning is when each kind of warning was last raised, if warned.
	lastWarning [core.NumWarnings]time.Duration
	warned      [core.NumWarnings]bool

	events eventq.Queue
	stats  core.Stats
	req    request
	rx     [readBatch]transport.Message
	rxb    [readBatch][transport.MaxDatagram]byte
}

// conn is one connected client.
type conn struct {
	index    int // client index: slot in Server.slots
	dense    int // position in Server.connected
	id       uint64
	addr     netip.AddrPort
	sock     *outbox
	c2s, s2c cipher.AEAD
	keys     [2]Key // client to server, server to client: for SteadyClient
	sequence uint64
	replay   replayWindow
	// confirmed: the client has sent a keep-alive or payload, so it knows
	// it is connected; until then every payload is preceded by a keep-alive.
	confirmed bool
	lastSend  time.Duration
	lastRecv  time.Duration
	timeout   time.Duration // 0: none
	userData  [UserDataSize]byte
	stats     core.Stats
}

// peer keys a client by the socket it came through and its address there.
// Addresses are only unique per transport: a WebSocket or WebTransport
// session's address is made up by its transport and may equal a UDP
// client's, and two UDP sockets may hear the same peer address.
type peer struct {
	sock *outbox
	addr netip.AddrPort
}

// pendingClient is an address in mid-handshake: the keys from its token,
// kept until the response arrives or the mapping expires.
type pendingClient struct {
	token      tokenKey
	sock       *outbox
	c2s, s2c   cipher.AEAD
	keys       [2]Key
	timeout    time.Duration
	expireUnix uint64
	lastAccess time.Duration
}

var _ core.Server = (*Server)(nil)

// NewServer checks the configuration and makes a stopped server.
func NewServer(cfg ServerConfig) (*Server, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      c,
		tokenKey: newXAEAD(&c.PrivateKey),
		slots:    make([]*conn, c.MaxClients),
		free:     make([]int, 0, c.MaxClients),
		byAddr:   make(map[peer]*conn),
		byID:     make(map[uint64]*conn),
		pending:  make(map[peer]*pendingClient),
		tokens:   newTokenHistory(c.TokenHistorySize),
		events:   eventq.New(c.EventQueueSize),
	}
	s.codec.init(c.ProtocolID)
	s.clock = func() time.Duration { return s.now }
	for i := range s.rx {
		s.rx[i].Buf = s.rxb[i][:]
	}
	return s, nil
}

// Start binds the sockets and resets the per-run state: a new challenge
// key, the challenge sequence at 0 and the global sequence at 2^63.
func (s *Server) Start() error {
	if s.running {
		return core.ErrAlreadyStarted
	}
	var socks []*outbox
	fail := func(err error) error {
		for _, o := range socks {
			o.tr.Close()
		}
		return err
	}
	for _, a := range s.cfg.Addresses {
		tr, err := s.cfg.Listen(a)
		if err != nil {
			return fail(fmt.Errorf("netcode: listening on %v: %w", a, err))
		}
		o := newOutbox(tr, &s.stats)
		if o.tr, err = s.cfg.Conditioning.condition(tr, s.clock); err != nil {
			tr.Close()
			return fail(err)
		}
		socks = append(socks, o)
	}
	udp := len(socks)
	for _, l := range s.cfg.Listeners {
		tr, err := l.Open()
		if err != nil {
			return fail(fmt.Errorf("netcode: opening listener %s: %w", l.Name, err))
		}
		o := newOutbox(tr, &s.stats)
		if o.tr, err = s.cfg.Conditioning.condition(tr, s.clock); err != nil {
			tr.Close()
			return fail(err)
		}
		socks = append(socks, o)
	}
	public := make([]netip.AddrPort, 0, len(s.cfg.PublicAddresses)+len(s.cfg.Listeners))
	for _, a := range s.cfg.PublicAddresses {
		if a.Port() == 0 { // "the port I was given": the first socket's
			a = netip.AddrPortFrom(a.Addr(), socks[0].tr.LocalAddr().Port())
		}
		public = append(public, a)
	}
	if len(public) == 0 {
		for _, o := range socks[:udp] {
			la := o.tr.LocalAddr()
			if la.Addr().IsUnspecified() {
				return fail(fmt.Errorf("%w: bound to %v: set PublicAddresses to the addresses in the tokens", ErrInvalidConfig, la))
			}
			public = append(public, la)
		}
	}
	for i, l := range s.cfg.Listeners {
		la := socks[udp+i].raw.LocalAddr()
		a := l.Public
		switch {
		case !a.IsValid():
			if la.Addr().IsUnspecified() {
				return fail(fmt.Errorf("%w: listener %s bound to %v: set its Public address", ErrInvalidConfig, l.Name, la))
			}
			a = la
		case a.Port() == 0:
			a = netip.AddrPortFrom(a.Addr(), la.Port())
		}
		public = append(public, a)
	}
	key, err := GenerateKey()
	if err != nil {
		return fail(err)
	}
	if s.minExpire == 0 && s.cfg.MaxTokenLifetime > 0 { // the first start: restarts keep the history
		s.minExpire = uint64(s.cfg.Now().Unix()) + uint64(s.cfg.MaxTokenLifetime/time.Second)
	}
	s.public = public
	s.socks = socks
	s.challengeAEAD = newAEAD(&key)
	s.challengeSeq = 0
	s.globalSeq = globalSequenceStart
	s.free = s.free[:0]
	for i := len(s.slots) - 1; i >= 0; i-- {
		s.free = append(s.free, i)
	}
	clear(s.pending)
	// The token history survives a restart: a consumed token must stay
	// refused, or its keys would encrypt a second session whose sequences
	// start again at 0 (nonce reuse).
	s.running = true
	return nil
}

// Stop disconnects every client, telling each, and closes the sockets.
// A link conditioner releases what it holds at once (its loss still
// applies) rather than dropping it with the socket.
func (s *Server) Stop() error {
	if !s.running {
		return nil
	}
	s.disconnectAll(core.ReasonServerStopped)
	var err error
	for _, o := range s.socks {
		o.flush()
		drain(o.tr)
		err = errors.Join(err, o.tr.Close())
	}
	s.socks = nil
	clear(s.pending)
	s.running = false
	return err
}

func (s *Server) Running() bool { return s.running }

// PublicAddresses are the addresses this server expects in tokens; after
// Start with port 0 they carry the real ports.
func (s *Server) PublicAddresses() []netip.AddrPort { return s.public }

// LocalAddrs are the bound socket addresses.
func (s *Server) LocalAddrs() []netip.AddrPort {
	out := make([]netip.AddrPort, len(s.socks))
	for i, o := range s.socks {
		out[i] = o.tr.LocalAddr()
	}
	return out
}

func (s *Server) Update(dt time.Duration) error {
	if !s.running {
		return core.ErrNotStarted
	}
	if dt < 0 {
		return fmt.Errorf("%w: negative dt", core.ErrInvalidArgument)
	}
	s.now = core.AdvanceClock(s.now, dt)
	s.nowUnix = uint64(s.cfg.Now().Unix())
	s.flush() // what BatchSends held since the last tick goes out before reading
	var err error
	for _, o := range s.socks {
		err = errors.Join(err, s.receive(o))
	}
	s.sendKeepAlives()
	s.timeOutClients()
	if s.now-s.lastSweep >= mappingSweepInterval {
		s.sweep()
	}
	s.flush()
	return err
}

// Advance moves the clock on by dt without reading, sending or sweeping:
// the time a driver of the steady state (steady.go) ran the server's
// ticks itself.
func (s *Server) Advance(dt time.Duration) {
	if dt > 0 {
		s.now = core.AdvanceClock(s.now, dt)
	}
}

// receive handles what arrived on o until the transport reports nothing
// pending (a read of 0, or readDrained; a short batch may come from a
// socket with more queued) or MaxReadsPerUpdate datagrams were read.
func (s *Server) receive(o *outbox) error {
	for read := 0; read < s.cfg.MaxReadsPerUpdate; {
		n, err := o.tr.ReadBatch(s.rx[:min(len(s.rx), s.cfg.MaxReadsPerUpdate-read)])
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		read += n
		for i := range n {
			m := &s.rx[i]
			s.stats.PacketsReceived++
			s.stats.BytesReceived += uint64(m.N)
			if d := s.handle(o, m); d != DropNone {
				countDrop(&s.stats, d)
			}
		}
		if readDrained(o.tr) {
			return nil
		}
	}
	return nil
}

func (s *Server) handle(o *outbox, m *transport.Message) DropReason {
	pkt, from := m.Buf[:m.N], m.Addr
	key := peer{o, from}
	if m.Truncated || len(pkt) > maxPacketSize {
		// Larger than any netcode packet: nothing to parse. Counted
		// against the client too when it came from one.
		if c := s.byAddr[key]; c != nil {
			c.stats.PacketsReceived++
			c.stats.BytesReceived += uint64(len(pkt))
			countDrop(&c.stats, DropOversized)
		}
		return DropOversized
	}
	if len(pkt) > 0 && pkt[0] == byte(PacketRequest) {
		return s.handleRequest(o, pkt, from)
	}
	if c := s.byAddr[key]; c != nil {
		c.stats.PacketsReceived++
		c.stats.BytesReceived += uint64(len(pkt))
		h, body, drop := s.codec.readEncrypted(pkt, serverAccepts, c.c2s, &c.replay)
		if drop != DropNone {
			countDrop(&c.stats, drop)
			return drop
		}
		return s.handleConnected(c, h.typ, body)
	}
	p := s.pending[key]
	if p == nil {
		if _, drop := parseHeader(pkt, serverAccepts); drop != DropNone {
			return drop
		}
		return DropUnknownAddress
	}
	h, body, drop := s.codec.readEncrypted(pkt, serverAccepts, p.c2s, nil)
	if drop != DropNone {
		return drop
	}
	if h.typ != PacketResponse {
		return DropRejected
	}
	p.lastAccess = s.now
	return s.handleResponse(p, body, key)
}

func (s *Server) handleConnected(c *conn, t PacketType, body []byte) DropReason {
	switch t {
	case PacketKeepAlive:
		c.confirmed = true
	case PacketPayload:
		c.confirmed = true
		if !s.events.Push(core.Event{Type: core.EventPayload, Client: core.NetcodeID(c.id), Payload: body}) {
			c.lastRecv = s.now
			countDrop(&c.stats, DropQueueFull)
			return DropQueueFull
		}
	case PacketDisconnect:
		c.lastRecv = s.now
		s.disconnect(c, core.ReasonRemote, false)
		return DropNone
	default: // a response resent after the client connected
		return DropRejected
	}
	c.lastRecv = s.now
	return DropNone
}

// handleRequest runs the reference's request checks in order, then the
// token-reuse rules and the accept hook, and answers with a challenge (or
// denied when full or refused).
func (s *Server) handleRequest(o *outbox, pkt []byte, from netip.AddrPort) DropReason {
	r := &s.req
	if d := r.read(pkt, s.cfg.ProtocolID, s.nowUnix, s.minExpire, s.tokenKey); d != DropNone {
		return d
	}
	if !s.isPublicAddress(r.token.ServerAddresses) {
		return DropRejected
	}
	key := peer{o, from}
	if s.byAddr[key] != nil || s.byID[r.token.ClientID] != nil {
		return DropRejected
	}
	tk := keyOf(&r.mac)
	use, seen := s.tokens.lookup(tk)
	if seen && (use.state == tokenConsumed || !use.from(from)) {
		return DropRejected
	}
	if !seen {
		if s.tokens.full(s.nowUnix) {
			s.warn(core.WarningTokenHistoryFull, r.token.ClientID)
			return DropTableFull
		}
		use = newTokenUse(from)
		if s.cfg.Accept != nil && !s.cfg.Accept(core.ConnectRequest{
			Client: core.NetcodeID(r.token.ClientID), Addr: from, UserData: &r.token.UserData,
		}) {
			use.state = tokenDenied
		}
		s.tokens.add(tk, use, r.expire)
	}
	if use.state == tokenDenied || len(s.connected) >= s.cfg.MaxClients {
		s.sendDenied(o, from, newAEAD(&r.token.ServerToClientKey))
		return DropNone
	}
	p := s.pending[key]
	if p == nil || p.token != tk {
		// Full: refused until the sweep (every second) frees quiet or
		// expired handshakes. No sweep here: a flood would pay for a scan
		// of the whole table with every request.
		if p == nil && len(s.pending) >= s.cfg.MaxPending {
			s.warn(core.WarningPendingFull, r.token.ClientID)
			return DropTableFull
		}
		p = &pendingClient{
			token:      tk,
			c2s:        newAEAD(&r.token.ClientToServerKey),
			s2c:        newAEAD(&r.token.ServerToClientKey),
			keys:       [2]Key{r.token.ClientToServerKey, r.token.ServerToClientKey},
			timeout:    time.Duration(max(r.token.TimeoutSeconds, 0)) * time.Second,
			expireUnix: r.expire,
		}
		s.pending[key] = p
	}
	p.sock = o
	p.lastAccess = s.now

	s.challenge.ClientID = r.token.ClientID
	s.challenge.UserData = r.token.UserData
	buf := o.next(from)
	hdr := headerSize(s.globalSeq)
	binary.LittleEndian.PutUint64(buf[hdr:], s.challengeSeq)
	sealChallengeToken((*[ChallengeTokenSize]byte)(buf[hdr+8:]), &s.challenge, s.challengeSeq, s.challengeAEAD, &s.codec.nonce)
	s.challengeSeq++
	o.commit(s.codec.seal(buf, PacketChallenge, s.globalSeq, challengeBodySize, p.s2c))
	s.globalSeq++
	return DropNone
}

func (s *Server) isPublicAddress(tokenAddrs []netip.AddrPort) bool {
	for _, t := range tokenAddrs {
		for _, p := range s.public {
			if sameAddr(t, p) {
				return true
			}
		}
	}
	return false
}

func (s *Server) sendDenied(o *outbox, to netip.AddrPort, s2c cipher.AEAD) {
	o.commit(s.codec.seal(o.next(to), PacketDenied, s.globalSeq, 0, s2c))
	s.globalSeq++
}

// handleResponse admits a client whose challenge token checks out.
func (s *Server) handleResponse(p *pendingClient, body []byte, key peer) DropReason {
	from := key.addr
	seq := binary.LittleEndian.Uint64(body)
	if err := openChallengeToken(&s.challenge, body[8:], seq, s.challengeAEAD, &s.codec.nonce); err != nil {
		return DropDecrypt
	}
	if s.byID[s.challenge.ClientID] != nil {
		return DropRejected
	}
	if len(s.connected) >= s.cfg.MaxClients {
		s.sendDenied(p.sock, from, p.s2c)
		return DropNone
	}
	idx := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	c := &conn{
		index:    idx,
		dense:    len(s.connected),
		id:       s.challenge.ClientID,
		addr:     from,
		sock:     p.sock,
		c2s:      p.c2s,
		s2c:      p.s2c,
		keys:     p.keys,
		lastSend: s.now,
		lastRecv: s.now,
		timeout:  p.timeout,
		userData: s.challenge.UserData, // from the challenge token, as the reference
	}
	c.replay.reset()
	s.slots[idx] = c
	s.connected = append(s.connected, c)
	s.byAddr[key] = c
	s.byID[c.id] = c
	s.tokens.consume(p.token)
	delete(s.pending, key)
	s.events.Push(core.Event{Type: core.EventConnected, Client: core.NetcodeID(c.id)})
	s.sendKeepAlive(c)
	return DropNone
}

func (s *Server) sendKeepAlive(c *conn) {
	buf := c.sock.next(c.addr)
	hdr := headerSize(c.sequence)
	binary.LittleEndian.PutUint32(buf[hdr:], uint32(c.index))
	binary.LittleEndian.PutUint32(buf[hdr+4:], uint32(s.cfg.MaxClients))
	s.sendSealed(c, buf, PacketKeepAlive, keepAliveBodySize)
}

// sendSealed seals the body written after the header in buf and queues it.
func (s *Server) sendSealed(c *conn, buf []byte, t PacketType, bodyLen int) {
	pkt := s.codec.seal(buf, t, c.sequence, bodyLen, c.s2c)
	c.sequence++
	c.lastSend = s.now
	c.stats.PacketsSent++
	c.stats.BytesSent += uint64(len(pkt))
	c.sock.commit(pkt)
}

func (s *Server) sendPayload(c *conn, payload []byte) {
	if !c.confirmed {
		s.sendKeepAlive(c)
	}
	buf := c.sock.next(c.addr)
	copy(buf[headerSize(c.sequence):], payload)
	s.sendSealed(c, buf, PacketPayload, len(payload))
}

func (s *Server) sendKeepAlives() {
	for _, c := range s.connected {
		if s.now-c.lastSend >= sendRate {
			s.sendKeepAlive(c)
		}
	}
}

func (s *Server) timeOutClients() {
	for i := len(s.connected) - 1; i >= 0; i-- {
		c := s.connected[i]
		if c.timeout > 0 && s.now-c.lastRecv >= c.timeout {
			s.disconnect(c, core.ReasonTimedOut, false)
		}
	}
}

// disconnect frees c's slot and keys; with notify it first sends the
// redundant disconnect packets.
func (s *Server) disconnect(c *conn, reason core.DisconnectReason, notify bool) {
	if notify {
		for i := 0; i < disconnectRedundancy; i++ {
			s.sendSealed(c, c.sock.next(c.addr), PacketDisconnect, 0)
		}
	}
	last := s.connected[len(s.connected)-1]
	last.dense = c.dense
	s.connected[c.dense] = last
	s.connected[len(s.connected)-1] = nil
	s.connected = s.connected[:len(s.connected)-1]
	s.slots[c.index] = nil
	s.free = append(s.free, c.index)
	delete(s.byAddr, peer{c.sock, c.addr})
	delete(s.byID, c.id)
	c.c2s, c.s2c, c.keys = nil, nil, [2]Key{}
	s.events.Push(core.Event{Type: core.EventDisconnected, Client: core.NetcodeID(c.id), Reason: reason})
}

func (s *Server) disconnectAll(reason core.DisconnectReason) {
	for len(s.connected) > 0 {
		s.disconnect(s.connected[len(s.connected)-1], reason, true)
	}
}

// sweep forgets handshakes whose token expired or that went quiet (for
// the token's timeout, or pendingQuietLimit if it has none), and the
// expired tokens of the history.
func (s *Server) sweep() {
	s.lastSweep = s.now
	for addr, p := range s.pending {
		quiet := p.timeout
		if quiet <= 0 {
			quiet = pendingQuietLimit
		}
		if (p.expireUnix != NeverExpires && p.expireUnix <= s.nowUnix) || s.now-p.lastAccess > quiet {
			delete(s.pending, addr)
		}
	}
	s.tokens.forget(s.nowUnix)
}

// warn raises an EventWarning about client, unless one of the same kind
// was raised less than warningInterval ago: the stats count every
// refusal, the event only tells the game that they happen.
func (s *Server) warn(w core.Warning, client uint64) {
	// Elapsed time, not now+interval, which would overflow near the
	// saturated clock (core.AdvanceClock).
	if s.warned[w] && s.now-s.lastWarning[w] < warningInterval {
		return
	}
	s.warned[w], s.lastWarning[w] = true, s.now
	s.events.Push(core.Event{Type: core.EventWarning, Client: core.NetcodeID(client), Warning: w})
}

func (s *Server) flush() {
	for _, o := range s.socks {
		o.flush()
	}
}

func (s *Server) lookup(id core.ClientID) (*conn, error) {
	if !s.running {
		return nil, core.ErrNotStarted
	}
	if id.Kind != core.KindNetcode {
		return nil, fmt.Errorf("%w: %v", core.ErrUnknownClient, id)
	}
	c := s.byID[id.ID]
	if c == nil {
		return nil, fmt.Errorf("%w: %v", core.ErrUnknownClient, id)
	}
	return c, nil
}

func checkPayload(p []byte) error {
	if len(p) < 1 || len(p) > MaxPayloadSize {
		return fmt.Errorf("%w: %d bytes", core.ErrPayloadSize, len(p))
	}
	return nil
}

func (s *Server) Send(id core.ClientID, payload []byte) error {
	if err := checkPayload(payload); err != nil {
		return err
	}
	c, err := s.lookup(id)
	if err != nil {
		return err
	}
	s.sendPayload(c, payload)
	if !s.cfg.BatchSends {
		c.sock.flush()
	}
	return nil
}

func (s *Server) Broadcast(payload []byte) error {
	if err := checkPayload(payload); err != nil {
		return err
	}
	if !s.running {
		return core.ErrNotStarted
	}
	for _, c := range s.connected {
		s.sendPayload(c, payload)
	}
	if !s.cfg.BatchSends {
		s.flush()
	}
	return nil
}

// Flush writes the datagrams BatchSends queued (nothing otherwise).
func (s *Server) Flush() error {
	if !s.running {
		return core.ErrNotStarted
	}
	s.flush()
	return nil
}

func (s *Server) Disconnect(id core.ClientID) error {
	c, err := s.lookup(id)
	if err != nil {
		return err
	}
	s.disconnect(c, core.ReasonLocal, true)
	s.flush()
	return nil
}

func (s *Server) DisconnectAll() error {
	if !s.running {
		return core.ErrNotStarted
	}
	s.disconnectAll(core.ReasonLocal)
	s.flush()
	return nil
}

func (s *Server) ConnectedIDs(dst []core.ClientID) []core.ClientID {
	for _, c := range s.connected {
		dst = append(dst, core.NetcodeID(c.id))
	}
	return dst
}

func (s *Server) NumConnected() int { return len(s.connected) }

func (s *Server) ClientAddr(id core.ClientID) (netip.AddrPort, bool) {
	c, err := s.lookup(id)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return c.addr, true
}

func (s *Server) ClientUserData(id core.ClientID) ([core.UserDataSize]byte, bool) {
	c, err := s.lookup(id)
	if err != nil {
		return [core.UserDataSize]byte{}, false
	}
	return c.userData, true
}

// ClientIndex is the slot the server gave a connected client.
func (s *Server) ClientIndex(id core.ClientID) (int, bool) {
	c, err := s.lookup(id)
	if err != nil {
		return 0, false
	}
	return c.index, true
}

// ClientStats returns one connected client's counters.
func (s *Server) ClientStats(id core.ClientID) (core.Stats, bool) {
	c, err := s.lookup(id)
	if err != nil {
		return core.Stats{}, false
	}
	st := c.stats
	st.SinceLastReceive = s.now - c.lastRecv
	return st, true
}

// Stats returns the server's counters.
func (s *Server) Stats() core.Stats { return s.stats }

func (s *Server) PollEvent(ev *core.Event) bool { return s.events.Pop(ev) }

// MaxClients is the configured limit.
func (s *Server) MaxClients() int { return s.cfg.MaxClients }

// Kind reports that this backend's clients are netcode ones.
func (s *Server) Kind() core.Kind { return core.KindNetcode }

// SetConditioning changes the simulated network on the server's sockets;
// nil turns it off. Datagrams the old conditioner still held are lost.
func (s *Server) SetConditioning(c *Conditioning) error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if c != nil {
		copied := *c
		c = &copied
	}
	for _, o := range s.socks {
		o.flush()
		tr, err := c.condition(o.raw, s.clock)
		if err != nil {
			return err
		}
		o.tr = tr
	}
	s.cfg.Conditioning = c
	return nil
}

package main

import (
	"time"

	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

// phase is where one session is in its life.
type phase uint8

const (
	connecting phase = iota // handshake under way
	live                    // connected on both sides; payloads flow
	quiescing               // a leave is planned: payloads stopped for the drain
	ending                  // the leave happened; waiting for both sides to report it
)

// leave is how a session ends, which decides the disconnect reasons each
// side must report.
type leave uint8

const (
	leaveNone    leave = iota
	leaveClient        // the client disconnects: the server must say ReasonRemote
	leaveKick          // the server disconnects it: ReasonLocal, the client sees a disconnect
	leaveVanish        // the client closes with its disconnect packets lost: the server must time it out
	leaveRestart       // the server stops: ReasonServerStopped, the client sees a disconnect
	leaveEnd           // end of the run: as leaveClient
	leaveBroken        // an unexpected disconnect, already reported: anything goes from here
	numLeaves
)

var leaveNames = [numLeaves]string{"none", "client", "kick", "vanish", "restart", "end", "broken"}

func (l leave) String() string { return leaveNames[l] }

// session is one connection: one token, one netcode client id. A client
// reconnecting after the server restart starts a new session.
type session struct {
	id    uint64
	slot  *slot // nil once the client side is done
	phase phase
	leave leave
	since time.Duration // protocol time the phase began

	serverUp   bool // between the server's connected and disconnected events
	serverDone bool // the server has no more to report on it
	clientDone bool // the client has no more to report on it

	streams [3]stream  // by direction
	owed    [3]float64 // payloads due but not yet sent, by direction
}

// slot is one of the N client places: it holds a client, and after a
// leave gets a new one (a new socket) after a short pause.
type slot struct {
	idx    int
	client *netcode.Client
	sess   *session      // the session on client, or nil
	joinAt time.Duration // when an empty slot joins again
}

package core

import "fmt"

// Kind tells which backend a client id belongs to, so that a server running
// several backends can tell netcode client 1 from Steam client 1.
type Kind uint8

const (
	KindNetcode Kind = 1
	KindSteam   Kind = 2
	KindLocal   Kind = 3
)

func (k Kind) String() string {
	switch k {
	case KindNetcode:
		return "netcode"
	case KindSteam:
		return "steam"
	case KindLocal:
		return "local"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ClientID identifies a client on a server: the backend's own 64-bit id
// (the netcode client id from the connect token, the SteamID, or the local
// id the host chose) tagged with the backend.
type ClientID struct {
	Kind Kind
	ID   uint64
}

// NetcodeID, SteamID and LocalID build tagged ids.
func NetcodeID(id uint64) ClientID { return ClientID{KindNetcode, id} }
func SteamID(id uint64) ClientID   { return ClientID{KindSteam, id} }
func LocalID(id uint64) ClientID   { return ClientID{KindLocal, id} }

func (c ClientID) String() string { return fmt.Sprintf("%v:%d", c.Kind, c.ID) }

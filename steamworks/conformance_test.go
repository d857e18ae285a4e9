package steamworks

import (
	"fmt"
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/coretest"
	"github.com/stretchr/testify/require"
)

// steamUser is a client that presents a chosen SteamID: the double plays
// a different Steam user for each connection (one process has one user
// on real Steam).
type steamUser struct {
	*Client
	id uint64
}

func (u *steamUser) Connect() error {
	fakeSteam.SetNextIdentity(u.id)
	return u.Client.Connect()
}

// The conformance suite over the Steamworks double: ids are the SteamIDs
// the double presents (1 and 2 here, as the suite expects).
func TestConformance(t *testing.T) {
	lib := openFake(t, fakeSteam, LibraryOptions{})
	ports := map[core.Server]uint16{}
	coretest.Run(t, coretest.Harness{
		Kind: core.KindSteam,
		NewServer: func(t *testing.T) core.Server {
			nextPort++
			s, err := NewServer(lib, ServerConfig{Address: mustAddr(fmt.Sprintf("0.0.0.0:%d", nextPort))})
			require.NoError(t, err)
			require.NoError(t, s.Start())
			t.Cleanup(func() { s.Stop() })
			ports[s] = nextPort
			return s
		},
		NewClient: func(t *testing.T, s core.Server, id uint64) core.Client {
			c, err := NewClient(lib, ClientConfig{Address: mustAddr(fmt.Sprintf("127.0.0.1:%d", ports[s]))})
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			return &steamUser{Client: c, id: id}
		},
	})
}

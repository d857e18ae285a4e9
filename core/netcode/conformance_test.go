package netcode

import (
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/coretest"
)

func TestConformance(t *testing.T) {
	for _, net := range []string{"mem", "127.0.0.1", "::1"} {
		t.Run(net, func(t *testing.T) {
			coretest.Run(t, coretest.Harness{
				Kind: core.KindNetcode,
				NewServer: func(t *testing.T) core.Server {
					var r *rig
					if net == "mem" {
						r, _ = newMemRig(t)
					} else {
						r = newRig(t, net)
					}
					s := r.startServer(r.serverConfig(8))
					rigs[s] = r
					return s
				},
				NewClient: func(t *testing.T, s core.Server, id uint64) core.Client {
					r := rigs[s.(*Server)]
					return r.client(id, r.token(id, s.(*Server).PublicAddresses()))
				},
			})
		})
	}
}

// rigs finds the rig a conformance server was made in.
var rigs = map[*Server]*rig{}

package local

import (
	"testing"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/coretest"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) {
	coretest.Run(t, coretest.Harness{
		Kind: core.KindLocal,
		NewServer: func(t *testing.T) core.Server {
			s := NewServer(Config{})
			require.NoError(t, s.Start())
			return s
		},
		NewClient: func(t *testing.T, s core.Server, id uint64) core.Client {
			return s.(*Server).NewClient(id)
		},
	})
}

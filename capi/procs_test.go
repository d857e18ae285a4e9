package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGomaxprocsSetting(t *testing.T) {
	n, ok := gomaxprocsSetting("3")
	require.True(t, ok)
	require.Equal(t, 3, n)
	for _, v := range []string{"", "0", "-2", "two"} {
		_, ok := gomaxprocsSetting(v)
		require.False(t, ok, "%q leaves the runtime's choice", v)
	}
}

// The setting is the C library's only: this test binary is a Go program,
// whose runtime keeps its own choice.
func TestGomaxprocsOnlyInTheCLibrary(t *testing.T) {
	require.False(t, builtAsCLibrary())
}

package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGomaxprocsFor(t *testing.T) {
	require.Equal(t, 1, gomaxprocsFor("", ""), "the default")
	require.Equal(t, 3, gomaxprocsFor("3", "8"), "ours first")
	require.Equal(t, 8, gomaxprocsFor("", "8"), "then Go's")
	require.Equal(t, 8, gomaxprocsFor("zero", "8"), "an invalid value of ours is ignored")
	require.Equal(t, 1, gomaxprocsFor("0", "-2"), "so are values below 1")
}

// The policy is the C library's only: this test binary is a Go program,
// whose runtime keeps its own choice.
func TestGomaxprocsOnlyInTheCLibrary(t *testing.T) {
	require.False(t, builtAsCLibrary())
}

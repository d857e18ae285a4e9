//go:build !race

package steamworks

const raceEnabled = false

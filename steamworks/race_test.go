//go:build race

package steamworks

const raceEnabled = true

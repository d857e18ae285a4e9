//go:build !race

package conditioner

const raceEnabled = false

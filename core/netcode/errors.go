package netcode

import "errors"

var (
	ErrInvalidKey     = errors.New("netcode: invalid key")
	ErrInvalidToken   = errors.New("netcode: invalid connect token")
	ErrInvalidAddress = errors.New("netcode: invalid address")
	ErrTokenDecrypt   = errors.New("netcode: connect token does not decrypt")
	ErrInvalidConfig  = errors.New("netcode: invalid configuration")
)

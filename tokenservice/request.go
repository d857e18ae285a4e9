package tokenservice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxBodySize bounds a request body; a larger one is answered 413.
const MaxBodySize = 4 << 10

// MaxTagLength bounds the tag handed to the Directory.
const MaxTagLength = 128

// errBodyTooLarge is decodeRequest's error for a body over MaxBodySize.
var errBodyTooLarge = errors.New("body too large")

// tokenRequest is the optional JSON body of POST /v1/token.
type tokenRequest struct {
	Tag string `json:"tag"`
}

// decodeRequest reads at most MaxBodySize bytes: an empty body is an empty
// request; otherwise exactly one JSON object with known fields only.
func decodeRequest(r io.Reader) (tokenRequest, error) {
	var req tokenRequest
	b, err := io.ReadAll(io.LimitReader(r, MaxBodySize+1))
	if err != nil {
		return req, err
	}
	if len(b) > MaxBodySize {
		return req, errBodyTooLarge
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return req, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return tokenRequest{}, fmt.Errorf("body: %w", err)
	}
	if dec.More() {
		return tokenRequest{}, errors.New("body: more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return tokenRequest{}, errors.New("body: trailing data")
	}
	if len(req.Tag) > MaxTagLength || !utf8.ValidString(req.Tag) {
		return tokenRequest{}, fmt.Errorf("body: tag must be valid UTF-8 of at most %d bytes", MaxTagLength)
	}
	return req, nil
}

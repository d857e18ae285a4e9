package tokenservice

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeRequest: the decoder never panics, accepts only bodies within
// MaxBodySize, and what it accepts survives a round trip.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		``, `  `, `{}`, `{"tag":"eu"}`, `{"tag":"eu","x":1}`, `{"tag":1}`, `[]`, `null`,
		`{"tag":"a"}{"tag":"b"}`, `{"tag":"a"} x`, `{"TAG":"case"}`, "{\"tag\":\"\xff\"}",
		`{"tag":"` + strings.Repeat("a", MaxTagLength+1) + `"}`,
		strings.Repeat(" ", MaxBodySize) + `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeRequest(bytes.NewReader(body))
		if len(body) > MaxBodySize {
			if !errors.Is(err, errBodyTooLarge) {
				t.Fatalf("%d-byte body: %v", len(body), err)
			}
			return
		}
		if err != nil {
			if req != (tokenRequest{}) {
				t.Fatalf("error %v with a non-empty request %+v", err, req)
			}
			return
		}
		if len(req.Tag) > MaxTagLength || !utf8.ValidString(req.Tag) {
			t.Fatalf("accepted tag %q", req.Tag)
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeRequest(bytes.NewReader(again))
		if err != nil || back != req {
			t.Fatalf("round trip of %+v: %+v, %v", req, back, err)
		}
	})
}

func TestDecodeRequest(t *testing.T) {
	for _, tc := range []struct {
		body string
		tag  string
		ok   bool
	}{
		{``, "", true},
		{"\n", "", true},
		{`{"tag":"eu"}`, "eu", true},
		{`{"tag":"eu"}` + "\n", "eu", true},
		{`{"tag":"eu","region":"x"}`, "", false},
		{`{"tag":"a"}{"tag":"b"}`, "", false},
		{`{"tag":"a"}]`, "", false},
		{`[]`, "", false},
		{`{"tag":` + strings.Repeat("[", 100), "", false},
		{`{"tag":"` + strings.Repeat("a", MaxTagLength+1) + `"}`, "", false},
		{strings.Repeat(" ", MaxBodySize+1), "", false},
	} {
		req, err := decodeRequest(strings.NewReader(tc.body))
		if (err == nil) != tc.ok || req.Tag != tc.tag {
			t.Errorf("%.40q: tag %q err %v", tc.body, req.Tag, err)
		}
	}
}

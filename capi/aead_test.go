package main

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/poly1305" //nolint:staticcheck // deprecated, but the reference Poly1305 to compare with
)

// The ChaCha20-Poly1305 of aead.c (the C packet path's AEAD) against the
// test vectors of RFC 8439 and against golang.org/x/crypto, which the Go
// side of the library seals its packets with.

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const sunscreen = "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."

// RFC 8439: the ChaCha20 block (2.3.2), ChaCha20 encryption (2.4.2),
// Poly1305 (2.5.2) and the AEAD (2.8.2), for each build of aead.c.
func TestAEADRFC8439Vectors(t *testing.T) {
	for _, im := range aeadImpls {
		t.Run(im.name, func(t *testing.T) { testRFC8439Vectors(t, im) })
	}
}

func testRFC8439Vectors(t *testing.T, im aeadImpl) {
	var key [32]byte
	for i := range key {
		key[i] = byte(i)
	}

	// 2.3.2: the block with counter 1 is the key stream XORed into zeros.
	nonce := [12]byte{0, 0, 0, 9, 0, 0, 0, 0x4a}
	block := make([]byte, 64)
	im.chacha20XOR(block, block, &nonce, &key, 1)
	want := unhex(t, `10f1e7e4d13b5915500fdd1fa32071c4 c7d1f4c733c068030422aa9ac3d46c4e
		d2826446079faa0914c2d705d98b02a2 b5129cd1de164eb9cbd083e8a2503c4e`)
	if !bytes.Equal(block, want) {
		t.Errorf("2.3.2 block:\n got %x\nwant %x", block, want)
	}

	// 2.4.2
	nonce = [12]byte{7: 0x4a}
	ct := make([]byte, len(sunscreen))
	im.chacha20XOR(ct, []byte(sunscreen), &nonce, &key, 1)
	want = unhex(t, `6e2e359a2568f98041ba0728dd0d6981 e97e7aec1d4360c20a27afccfd9fae0b
		f91b65c5524733ab8f593dabcd62b357 1639d624e65152ab8f530c359f0861d8
		07ca0dbf500d6a6156a38e088a22b65e 52bc514d16ccf806818ce91ab7793736
		5af90bbf74a35be6b40b8eedf2785e42 874d`)
	if !bytes.Equal(ct, want) {
		t.Errorf("2.4.2 ciphertext:\n got %x\nwant %x", ct, want)
	}

	// 2.5.2
	var pkey [32]byte
	copy(pkey[:], unhex(t, "85d6be7857556d337f4452fe42d506a8 0103808afb0db2fd4abff6af4149f51b"))
	tag := im.poly1305Sum([]byte("Cryptographic Forum Research Group"), &pkey)
	if want := unhex(t, "a8061dc1305136c6c22b8baf0c0127a9"); !bytes.Equal(tag[:], want) {
		t.Errorf("2.5.2 tag: got %x, want %x", tag, want)
	}

	// 2.8.2
	for i := range key {
		key[i] = 0x80 + byte(i)
	}
	nonce = [12]byte{0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47}
	ad := unhex(t, "50515253c0c1c2c3c4c5c6c7")
	sealed := unhex(t, `d31a8d34648e60db7b86afbc53ef7ec2 a4aded51296e08fea9e2b5a736ee62d6
		3dbea45e8ca9671282fafb69da92728b 1a71de0a9e060b2905d6a5b67ecd3b36
		92ddbd7f2d778b8c9803aee328091b58 fab324e4fad675945585808b4831d7bc
		3ff4def08e4b7a9de576d26586cec64b 6116
		1ae10b594f09e26a7e902ecbd0600691`)
	pt := []byte(sunscreen)
	got := make([]byte, len(pt)+16)
	im.seal(got, pt, ad, &nonce, &key)
	if !bytes.Equal(got, sealed) {
		t.Errorf("2.8.2 seal:\n got %x\nwant %x", got, sealed)
	}
	opened := make([]byte, len(pt))
	if !im.open(opened, sealed, ad, &nonce, &key) || !bytes.Equal(opened, pt) {
		t.Errorf("2.8.2 open: got %q", opened)
	}
	// In place, as the packet path seals and opens.
	buf := append([]byte(sunscreen), make([]byte, 16)...)
	im.seal(buf, buf[:len(pt)], ad, &nonce, &key)
	if !bytes.Equal(buf, sealed) {
		t.Errorf("2.8.2 seal in place:\n got %x\nwant %x", buf, sealed)
	}
	if !im.open(buf, buf, ad, &nonce, &key) || !bytes.Equal(buf[:len(pt)], pt) {
		t.Errorf("2.8.2 open in place: got %q", buf[:len(pt)])
	}
}

// RFC 8439, A.3, vectors 5 to 11: values of h at and around p = 2^130 - 5
// before the final reduction, which random inputs almost never reach;
// for both Poly1305s (64-bit limbs in the library's build where the
// compiler has unsigned __int128, 26-bit limbs in the scalar one).
func TestAEADPoly1305EdgeVectors(t *testing.T) {
	ff := strings.Repeat("ff", 16)
	r1 := "01" + strings.Repeat("00", 15)
	r2 := "02" + strings.Repeat("00", 15)
	r10 := "0100000000000000 0400000000000000"
	zero := strings.Repeat("00", 16)
	v10 := "e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000" + zero
	for i, v := range []struct{ r, s, msg, tag string }{
		{r2, zero, ff, "03" + strings.Repeat("00", 15)},
		{r2, ff, "02" + strings.Repeat("00", 15), "03" + strings.Repeat("00", 15)},
		{r1, zero, ff + "f0" + strings.Repeat("ff", 15) + "11" + strings.Repeat("00", 15), "05" + strings.Repeat("00", 15)},
		{r1, zero, ff + "fb" + strings.Repeat("fe", 15) + strings.Repeat("01", 16), zero},
		{r2, zero, "fd" + strings.Repeat("ff", 15), "fa" + strings.Repeat("ff", 15)},
		{r10, zero, v10 + "01" + strings.Repeat("00", 15), "1400000000000000 5500000000000000"},
		{r10, zero, v10, "13" + strings.Repeat("00", 15)},
	} {
		var key [32]byte
		copy(key[:], unhex(t, v.r+v.s))
		msg, want := unhex(t, v.msg), unhex(t, v.tag)
		for _, im := range aeadImpls {
			if got := im.poly1305Sum(msg, &key); !bytes.Equal(got[:], want) {
				t.Errorf("%s: A.3 vector %d: got %x, want %x", im.name, i+5, got, want)
			}
		}
	}
}

// Poly1305 against x/crypto, with the inputs that push the limbs' carries
// furthest: every byte 0xff in the message, in r (as much as clamping
// leaves) and in s; and short last blocks of every length.
func TestAEADPoly1305MatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(b []byte, mode int) {
		for i := range b {
			switch mode {
			case 0:
				b[i] = byte(rng.Uint32())
			case 1:
				b[i] = 0xff
			case 2:
				b[i] = 0
			}
		}
	}
	for n := 0; n <= 200; n++ {
		for km := 0; km < 3; km++ {
			for mm := 0; mm < 3; mm++ {
				var key [32]byte
				msg := make([]byte, n)
				fill(key[:], km)
				fill(msg, mm)
				var want [16]byte
				poly1305.Sum(&want, msg, &key)
				for _, im := range aeadImpls {
					if got := im.poly1305Sum(msg, &key); got != want {
						t.Fatalf("%s: len %d key %x msg %x: got %x, want %x", im.name, n, key, msg, got, want)
					}
				}
			}
		}
	}
}

// ChaCha20 against x/crypto, from block counters 0, 1 and 7 (lengths
// across several passes of four blocks), and from 2^32 - 4, where the
// four lanes of the last pass x/crypto allows end the counter's range.
func TestAEADChaCha20MatchesGo(t *testing.T) {
	for _, im := range aeadImpls {
		t.Run(im.name, func(t *testing.T) { testChaCha20MatchesGo(t, im) })
	}
}

func testChaCha20MatchesGo(t *testing.T, im aeadImpl) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 600; n++ {
		var key [32]byte
		var nonce [12]byte
		fillRandom(rng, key[:])
		fillRandom(rng, nonce[:])
		in := make([]byte, n)
		fillRandom(rng, in)
		for _, ctr := range []uint32{0, 1, 7, 1<<32 - 4} {
			if ctr == 1<<32-4 && n > 256 {
				continue // past the last block: x/crypto panics
			}
			c, err := chacha20.NewUnauthenticatedCipher(key[:], nonce[:])
			if err != nil {
				t.Fatal(err)
			}
			c.SetCounter(ctr)
			want := make([]byte, n)
			c.XORKeyStream(want, in)
			got := make([]byte, n)
			im.chacha20XOR(got, in, &nonce, &key, ctr)
			if !bytes.Equal(got, want) {
				t.Fatalf("len %d counter %d: got %x, want %x", n, ctr, got, want)
			}
		}
	}
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

// checkAgainstGo seals pt with both implementations, out of place and in
// place, and opens each one's output with the other.
func checkAgainstGo(t *testing.T, im aeadImpl, key *[32]byte, nonce *[12]byte, ad, pt []byte) {
	t.Helper()
	n := len(pt)
	aead, err := chacha20poly1305.New(key[:])
	if err != nil {
		t.Fatal(err)
	}
	want := aead.Seal(nil, nonce[:], pt, ad)
	orig := bytes.Clone(pt)

	// Out of place, into a buffer with a guard after the tag.
	const guard = 8
	out := bytes.Repeat([]byte{0xa5}, n+16+guard)
	im.seal(out[:n+16], pt, ad, nonce, key)
	if !bytes.Equal(out[:n+16], want) {
		t.Fatalf("seal (len %d, ad %d): C %x, Go %x", n, len(ad), out[:n+16], want)
	}
	if !bytes.Equal(out[n+16:], bytes.Repeat([]byte{0xa5}, guard)) {
		t.Fatalf("seal (len %d): wrote past the tag", n)
	}
	if !bytes.Equal(pt, orig) {
		t.Fatalf("seal (len %d): changed its input", n)
	}

	// In place.
	buf := make([]byte, n+16)
	copy(buf, pt)
	im.seal(buf, buf[:n], ad, nonce, key)
	if !bytes.Equal(buf, want) {
		t.Fatalf("seal in place (len %d, ad %d): C %x, Go %x", n, len(ad), buf, want)
	}

	// C opens Go's, out of place and in place.
	opened := bytes.Repeat([]byte{0xa5}, n+guard)
	if !im.open(opened[:n], want, ad, nonce, key) || !bytes.Equal(opened[:n], pt) {
		t.Fatalf("open of Go's seal (len %d, ad %d) failed or differs", n, len(ad))
	}
	if !bytes.Equal(opened[n:], bytes.Repeat([]byte{0xa5}, guard)) {
		t.Fatalf("open (len %d): wrote past the plaintext", n)
	}
	buf = bytes.Clone(want)
	if !im.open(buf, buf, ad, nonce, key) || !bytes.Equal(buf[:n], pt) || !bytes.Equal(buf[n:], want[n:]) {
		t.Fatalf("open in place of Go's seal (len %d, ad %d) failed or differs", n, len(ad))
	}

	// Go opens C's.
	got, err := aead.Open(nil, nonce[:], out[:n+16], ad)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Go's open of C's seal (len %d, ad %d): %v", n, len(ad), err)
	}
}

// Byte for byte the same as x/crypto: every plaintext length to 300 and
// random ones to 1300, AD lengths 0 to 64 (the library's is 22). The
// first pass of four ChaCha20 blocks covers 192 bytes of a message and
// each further pass 256: every length to 300 crosses the first boundary,
// and the ones on either side of the next four are added.
func TestAEADMatchesGo(t *testing.T) {
	for _, im := range aeadImpls {
		t.Run(im.name, func(t *testing.T) { testAEADMatchesGo(t, im) })
	}
}

func testAEADMatchesGo(t *testing.T, im aeadImpl) {
	rng := rand.New(rand.NewPCG(5, 6))
	lengths := make([]int, 0, 520)
	for n := 0; n <= 300; n++ {
		lengths = append(lengths, n)
	}
	for range 200 {
		lengths = append(lengths, 301+rng.IntN(1000))
	}
	for b := 192 + 256; b <= 192+4*256; b += 256 {
		lengths = append(lengths, b-1, b, b+1)
	}
	lengths = append(lengths, 1200, 1300)
	for i, n := range lengths {
		var key [32]byte
		var nonce [12]byte
		fillRandom(rng, key[:])
		fillRandom(rng, nonce[:])
		pt := make([]byte, n)
		fillRandom(rng, pt)
		// Every AD length in turn, and the library's 22 for each.
		for _, adLen := range []int{i % 65, 22} {
			ad := make([]byte, adLen)
			fillRandom(rng, ad)
			checkAgainstGo(t, im, &key, &nonce, ad, pt)
		}
	}
}

// Any single flipped bit of the ciphertext, tag, AD, nonce or key makes
// the open fail, and a failed open leaves out as it was (and an in-place
// buffer as received).
func TestAEADTampering(t *testing.T) {
	for _, im := range aeadImpls {
		t.Run(im.name, func(t *testing.T) { testTampering(t, im) })
	}
}

func testTampering(t *testing.T, im aeadImpl) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 15, 16, 17, 100, 1200} {
		var key [32]byte
		var nonce [12]byte
		fillRandom(rng, key[:])
		fillRandom(rng, nonce[:])
		ad := make([]byte, 22)
		fillRandom(rng, ad)
		pt := make([]byte, n)
		fillRandom(rng, pt)
		sealed := make([]byte, n+16)
		im.seal(sealed, pt, ad, &nonce, &key)

		out := make([]byte, n)
		fails := func(what string, bit int, sealed, ad []byte, nonce *[12]byte, key *[32]byte) {
			t.Helper()
			for i := range out {
				out[i] = 0x5a
			}
			if im.open(out, sealed, ad, nonce, key) {
				t.Fatalf("len %d: open succeeded with bit %d of the %s flipped", n, bit, what)
			}
			for _, b := range out {
				if b != 0x5a {
					t.Fatalf("len %d: a failed open (bit %d of the %s) wrote to out", n, bit, what)
				}
			}
			in := bytes.Clone(sealed)
			if im.open(in, in, ad, nonce, key) || !bytes.Equal(in, sealed) {
				t.Fatalf("len %d: a failed open in place (bit %d of the %s) succeeded or changed the buffer", n, bit, what)
			}
		}
		if !im.open(out, sealed, ad, &nonce, &key) || !bytes.Equal(out, pt) {
			t.Fatalf("len %d: the untampered open failed", n)
		}
		for bit := range 8 * len(sealed) {
			s := bytes.Clone(sealed)
			s[bit/8] ^= 1 << (bit % 8)
			what := "ciphertext"
			if bit >= 8*n {
				what = "tag"
			}
			fails(what, bit, s, ad, &nonce, &key)
		}
		for bit := range 8 * len(ad) {
			a := bytes.Clone(ad)
			a[bit/8] ^= 1 << (bit % 8)
			fails("AD", bit, sealed, a, &nonce, &key)
		}
		for bit := range 8 * len(nonce) {
			nn := nonce
			nn[bit/8] ^= 1 << (bit % 8)
			fails("nonce", bit, sealed, ad, &nn, &key)
		}
		for bit := range 8 * len(key) {
			k := key
			k[bit/8] ^= 1 << (bit % 8)
			fails("key", bit, sealed, ad, &nonce, &k)
		}
		// A sealed packet with AD added or removed fails too.
		fails("AD (one byte more)", 0, sealed, append(bytes.Clone(ad), 0), &nonce, &key)
		fails("AD (one byte less)", 0, sealed, ad[:len(ad)-1], &nonce, &key)
	}
}

// Both builds of aead.c. The fuzzer's key and nonce are cut or zero-padded
// to their sizes.
func FuzzAEADMatchesGo(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 12), []byte{}, []byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 12), make([]byte, 22), bytes.Repeat([]byte{0xff}, 100))
	f.Add([]byte("0123456789abcdef0123456789abcdef"), []byte("nonce-nonce!"), []byte("ad"), []byte(sunscreen))
	f.Fuzz(func(t *testing.T, keyIn, nonceIn, ad, pt []byte) {
		var key [32]byte
		var nonce [12]byte
		copy(key[:], keyIn)
		copy(nonce[:], nonceIn)
		for _, im := range aeadImpls {
			checkAgainstGo(t, im, &key, &nonce, ad, pt)
		}
	})
}

// The seal of a 100- and a 1200-byte packet with the library's 22 bytes
// of AD, in place: C through one cgo call per seal (AEADSealC), C in a
// loop inside one cgo call (AEADSealCInC: the seal alone, as the C packet
// path pays it), each for both builds of aead.c (vector, the library's,
// and scalar), and x/crypto (AEADSealGo). AEADCgoCall is the cost of the
// cgo call itself, the difference between the first two.
var aeadBenchSizes = []struct {
	name string
	n    int
}{{"100", 100}, {"1200", 1200}}

func benchSetup() (*[32]byte, *[12]byte, []byte) {
	key, nonce := new([32]byte), new([12]byte)
	for i := range key {
		key[i] = byte(i)
	}
	return key, nonce, make([]byte, 22)
}

func BenchmarkAEADSealC(b *testing.B) {
	key, nonce, ad := benchSetup()
	for _, im := range aeadImpls {
		for _, s := range aeadBenchSizes {
			b.Run(im.name+"/"+s.name, func(b *testing.B) {
				buf := make([]byte, s.n+16)
				b.SetBytes(int64(s.n))
				for b.Loop() {
					im.seal(buf, buf[:s.n], ad, nonce, key)
				}
			})
		}
	}
}

func BenchmarkAEADSealCInC(b *testing.B) {
	key, nonce, ad := benchSetup()
	for _, im := range aeadImpls {
		for _, s := range aeadBenchSizes {
			b.Run(im.name+"/"+s.name, func(b *testing.B) {
				buf := make([]byte, s.n+16)
				b.SetBytes(int64(s.n))
				b.ResetTimer()
				im.sealN(buf, ad, nonce, key, b.N)
			})
		}
	}
}

func BenchmarkAEADSealGo(b *testing.B) {
	key, nonce, ad := benchSetup()
	aead, err := chacha20poly1305.New(key[:])
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range aeadBenchSizes {
		b.Run(s.name, func(b *testing.B) {
			buf := make([]byte, s.n+16)
			b.SetBytes(int64(s.n))
			for b.Loop() {
				aead.Seal(buf[:0], nonce[:], buf[:s.n], ad)
			}
		})
	}
}

func BenchmarkAEADCgoCall(b *testing.B) {
	for b.Loop() {
		cgoNoop()
	}
}

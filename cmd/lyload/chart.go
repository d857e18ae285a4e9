package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strings"
	"unicode"
)

// series is one line on the chart.
type series struct {
	Name string
	X, Y []float64
}

var seriesColors = map[string]color.RGBA{
	"ours":   {0x1f, 0x5f, 0xc8, 0xff},
	"ours-c": {0x80, 0x30, 0xb0, 0xff},
	"floor":  {0x40, 0x40, 0x40, 0xff},
	"peer":   {0xe0, 0x70, 0x10, 0xff},
}

const fontScale = 2

type canvas struct{ img *image.RGBA }

func (c canvas) set(x, y int, col color.RGBA) {
	if image.Pt(x, y).In(c.img.Rect) {
		c.img.SetRGBA(x, y, col)
	}
}

func (c canvas) rect(x0, y0, x1, y1 int, col color.RGBA) {
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			c.set(x, y, col)
		}
	}
}

// line draws a thick line with Bresenham.
func (c canvas) line(x0, y0, x1, y1, w int, col color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for {
		c.rect(x0-w/2, y0-w/2, x0+(w-1)/2, y0+(w-1)/2, col)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func textWidth(s string) int { return len([]rune(s)) * 6 * fontScale }

const textHeight = 7 * fontScale

// text draws s with its top-left corner at (x, y).
func (c canvas) text(x, y int, s string, col color.RGBA) {
	for _, r := range s {
		g, ok := glyphs[r]
		if !ok {
			g, ok = glyphs[unicode.ToUpper(r)]
		}
		if !ok {
			g = glyphs[' ']
		}
		for gy, row := range g {
			for gx, ch := range row {
				if ch == '#' {
					c.rect(x+gx*fontScale, y+gy*fontScale, x+(gx+1)*fontScale-1, y+(gy+1)*fontScale-1, col)
				}
			}
		}
		x += 6 * fontScale
	}
}

// vtext draws s rotated a quarter turn anticlockwise, reading upwards, with
// its bottom-left at (x, y).
func (c canvas) vtext(x, y int, s string, col color.RGBA) {
	for _, r := range s {
		g, ok := glyphs[unicode.ToUpper(r)]
		if !ok {
			g = glyphs[' ']
		}
		for gy, row := range g {
			for gx, ch := range row {
				if ch == '#' {
					px, py := x+gy*fontScale, y-(gx+1)*fontScale
					c.rect(px, py, px+fontScale-1, py+fontScale-1, col)
				}
			}
		}
		y -= 6 * fontScale
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// niceStep picks 1, 2 or 5 times a power of ten so that max/step is about 5.
func niceStep(max float64) float64 {
	raw := max / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func fmtTick(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// writeChart draws the series: y from 0, x on a log scale when the client
// counts span two decades or more.
func writeChart(path, title string, ss []series) error {
	const W, H = 900, 560
	const left, right, top, bottom = 110, 40, 60, 80
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	c := canvas{img}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	black := color.RGBA{0, 0, 0, 0xff}
	grid := color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
	c.rect(0, 0, W-1, H-1, white)

	xmin, xmax, ymax := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range ss {
		for i := range s.X {
			xmin, xmax = math.Min(xmin, s.X[i]), math.Max(xmax, s.X[i])
			ymax = math.Max(ymax, s.Y[i])
		}
	}
	if math.IsInf(xmin, 0) {
		return fmt.Errorf("chart: no data")
	}
	if ymax <= 0 {
		ymax = 1
	}
	logX := xmin > 0 && xmax/xmin >= 100
	var fx func(float64) float64
	var xticks []float64
	if logX {
		lo, hi := math.Floor(math.Log10(xmin)), math.Ceil(math.Log10(xmax))
		if hi == lo {
			hi++
		}
		fx = func(v float64) float64 { return (math.Log10(v) - lo) / (hi - lo) }
		for e := lo; e <= hi; e++ {
			xticks = append(xticks, math.Pow(10, e))
		}
	} else {
		lo, hi := 0.0, xmax
		if hi == lo {
			hi = lo + 1
		}
		st := niceStep(hi)
		hi = math.Ceil(hi/st) * st
		fx = func(v float64) float64 { return (v - lo) / (hi - lo) }
		for v := lo; v <= hi+st/2; v += st {
			xticks = append(xticks, v)
		}
	}
	ystep := niceStep(ymax * 1.1)
	ytop := math.Ceil(ymax*1.1/ystep) * ystep
	px := func(v float64) int { return left + int(math.Round(fx(v)*float64(W-left-right))) }
	py := func(v float64) int { return H - bottom - int(math.Round(v/ytop*float64(H-top-bottom))) }

	for v := 0.0; v <= ytop+ystep/2; v += ystep {
		y := py(v)
		c.line(left, y, W-right, y, 1, grid)
		c.line(left-6, y, left, y, 2, black)
		l := fmtTick(v)
		c.text(left-10-textWidth(l), y-textHeight/2, l, black)
	}
	for _, v := range xticks {
		x := px(v)
		c.line(x, top, x, H-bottom, 1, grid)
		c.line(x, H-bottom, x, H-bottom+6, 2, black)
		l := fmtTick(v)
		c.text(x-textWidth(l)/2, H-bottom+12, l, black)
	}
	c.line(left, top, left, H-bottom, 2, black)
	c.line(left, H-bottom, W-right, H-bottom, 2, black)
	c.text((W-textWidth(title))/2, 18, title, black)
	xl := "clients"
	if logX {
		xl += " (log scale)"
	}
	c.text(left+(W-left-right-textWidth(xl))/2, H-bottom+40, xl, black)
	yl := "CPU per payload packet (us)"
	c.vtext(16, top+(H-top-bottom+textWidth(yl))/2, yl, black)

	ly := top + 10
	for _, s := range ss {
		col, ok := seriesColors[s.Name]
		if !ok {
			col = color.RGBA{0x20, 0xa0, 0x40, 0xff}
		}
		for i := range s.X {
			x, y := px(s.X[i]), py(s.Y[i])
			if i > 0 {
				c.line(px(s.X[i-1]), py(s.Y[i-1]), x, y, 3, col)
			}
			c.rect(x-4, y-4, x+4, y+4, col)
		}
		c.line(left+20, ly+textHeight/2, left+60, ly+textHeight/2, 3, col)
		c.text(left+70, ly, s.Name, col)
		ly += textHeight + 10
	}

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

package explorer

import (
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Chart is a line chart of one series, drawn server-side as inline SVG so
// the page needs no script or outside library to show it.
type Chart struct {
	// Title names the chart for screen readers (the SVG's <title>).
	Title string
	// Class is the CSS class of the line, which the stylesheet colours.
	Class  string
	Points []Point
	// Width and Height are the SVG's viewBox size (default 640 x 180).
	Width, Height int
}

// Point is one value of a series: X is a block height, Y the value.
type Point struct{ X, Y float64 }

// Margins around the plotting area, in viewBox units: room for the axis labels.
const (
	chartLeft   = 64
	chartRight  = 12
	chartTop    = 10
	chartBottom = 24
)

// SVG renders the chart. Numbers are written by strconv and the title is
// escaped, so the result is safe to place in a page as it is.
func (c Chart) SVG() template.HTML {
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 180
	}
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 `)
	b.WriteString(strconv.Itoa(w) + " " + strconv.Itoa(h) + `" role="img"><title>`)
	b.WriteString(template.HTMLEscapeString(c.Title))
	b.WriteString(`</title>`)
	if len(c.Points) == 0 {
		b.WriteString(`<text class="chart-empty" x="` + num(float64(w)/2) + `" y="` + num(float64(h)/2) + `" text-anchor="middle">no data yet</text></svg>`)
		return template.HTML(b.String())
	}
	sc := newScale(c.Points, float64(chartLeft), float64(w-chartRight), float64(h-chartBottom), float64(chartTop))
	// Horizontal grid lines with their values at the bottom, middle and top.
	for _, y := range []float64{sc.y0, (sc.y0 + sc.y1) / 2, sc.y1} {
		py := num(sc.py(y))
		b.WriteString(`<line class="chart-grid" x1="` + num(chartLeft) + `" x2="` + num(float64(w-chartRight)) + `" y1="` + py + `" y2="` + py + `"/>`)
		b.WriteString(`<text class="chart-label" x="` + num(chartLeft-6) + `" y="` + py + `" text-anchor="end" dominant-baseline="middle">` + tick(y) + `</text>`)
	}
	// The first and last X (block heights) under the axis.
	by := num(float64(h - 6))
	b.WriteString(`<text class="chart-label" x="` + num(chartLeft) + `" y="` + by + `" text-anchor="start">` + tick(sc.x0) + `</text>`)
	b.WriteString(`<text class="chart-label" x="` + num(float64(w-chartRight)) + `" y="` + by + `" text-anchor="end">` + tick(sc.x1) + `</text>`)
	class := "chart-line"
	if c.Class != "" {
		class += " " + c.Class
	}
	b.WriteString(`<polyline class="` + template.HTMLEscapeString(class) + `" fill="none" points="`)
	for i, p := range c.Points {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(sc.px(p.X)) + "," + num(sc.py(p.Y)))
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String())
}

// scale maps data to viewBox coordinates. A flat range is widened so that
// one point, or a constant series, still draws inside the plot.
type scale struct {
	x0, x1, y0, y1        float64 // data ranges
	left, right, bot, top float64 // viewBox edges of the plot
}

func newScale(pts []Point, left, right, bot, top float64) scale {
	s := scale{x0: math.Inf(1), x1: math.Inf(-1), y0: math.Inf(1), y1: math.Inf(-1), left: left, right: right, bot: bot, top: top}
	for _, p := range pts {
		s.x0, s.x1 = math.Min(s.x0, p.X), math.Max(s.x1, p.X)
		s.y0, s.y1 = math.Min(s.y0, p.Y), math.Max(s.y1, p.Y)
	}
	if s.x1 == s.x0 {
		s.x0, s.x1 = s.x0-1, s.x1+1
	}
	if s.y1 == s.y0 {
		pad := math.Max(math.Abs(s.y0)/10, 1)
		s.y0, s.y1 = s.y0-pad, s.y1+pad
	}
	return s
}

func (s scale) px(x float64) float64 { return s.left + (x-s.x0)/(s.x1-s.x0)*(s.right-s.left) }
func (s scale) py(y float64) float64 { return s.bot - (y-s.y0)/(s.y1-s.y0)*(s.bot-s.top) }

// num writes a coordinate with one decimal.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// tick writes an axis value compactly: whole numbers as such, others to three significant digits.
func tick(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

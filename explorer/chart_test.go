package explorer

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
)

// svgDoc is the part of a chart's SVG the tests read.
type svgDoc struct {
	XMLName  xml.Name `xml:"svg"`
	ViewBox  string   `xml:"viewBox,attr"`
	Title    string   `xml:"title"`
	Texts    []string `xml:"text"`
	Polyline []struct {
		Class  string `xml:"class,attr"`
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
}

func parseChart(t *testing.T, c Chart) svgDoc {
	t.Helper()
	var d svgDoc
	if err := xml.Unmarshal([]byte(c.SVG()), &d); err != nil {
		t.Fatalf("chart is not well-formed SVG: %v\n%s", err, c.SVG())
	}
	return d
}

// points reads a polyline's coordinates.
func points(t *testing.T, s string) [][2]float64 {
	t.Helper()
	var out [][2]float64
	for _, p := range strings.Fields(s) {
		xs, ys, ok := strings.Cut(p, ",")
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad point %q", p)
		}
		out = append(out, [2]float64{x, y})
	}
	return out
}

func TestChartGeometry(t *testing.T) {
	cases := []struct {
		name   string
		points []Point
		// wantY are the expected viewBox y of each point (top 10, bottom 156 in a 180-high box).
		wantY  []float64
		labels []string // y labels bottom to top, then the first and last x
	}{
		{"rising", []Point{{1, 0}, {2, 5}, {3, 10}}, []float64{156, 83, 10}, []string{"0", "5", "10", "1", "3"}},
		{"negative values", []Point{{10, -4}, {11, 4}}, []float64{156, 10}, []string{"-4", "0", "4", "10", "11"}},
		{"flat series is centred", []Point{{5, 3}, {6, 3}, {7, 3}}, []float64{83, 83, 83}, []string{"2", "3", "4", "5", "7"}},
		{"one point", []Point{{42, 7.5}}, []float64{83}, []string{"6.5", "7.5", "8.5", "41", "43"}},
		{"fractions", []Point{{1, 0.25}, {2, 1.5}}, []float64{156, 10}, []string{"0.25", "0.875", "1.5", "1", "2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := parseChart(t, Chart{Title: "t", Class: "line-x", Points: tc.points})
			if d.ViewBox != "0 0 640 180" {
				t.Fatalf("viewBox %q", d.ViewBox)
			}
			if len(d.Polyline) != 1 || d.Polyline[0].Class != "chart-line line-x" {
				t.Fatalf("polylines %+v", d.Polyline)
			}
			pts := points(t, d.Polyline[0].Points)
			if len(pts) != len(tc.points) {
				t.Fatalf("%d points, want %d", len(pts), len(tc.points))
			}
			for i, p := range pts {
				if p[0] < chartLeft || p[0] > 640-chartRight || p[1] != tc.wantY[i] {
					t.Fatalf("point %d at %v, want y %v inside the plot", i, p, tc.wantY[i])
				}
				if i > 0 && p[0] <= pts[i-1][0] {
					t.Fatalf("x does not increase at point %d: %v", i, pts)
				}
			}
			if strings.Join(d.Texts, " ") != strings.Join(tc.labels, " ") {
				t.Fatalf("labels %q, want %q", d.Texts, tc.labels)
			}
		})
	}
}

func TestChartEmptyAndEscaped(t *testing.T) {
	d := parseChart(t, Chart{Title: `<script>"x"</script>`, Class: `a"b`})
	if d.Title != `<script>"x"</script>` || len(d.Polyline) != 0 || len(d.Texts) != 1 || d.Texts[0] != "no data yet" {
		t.Fatalf("empty chart %+v", d)
	}
	svg := string(Chart{Title: "<b>", Class: `a" onload="x`, Points: []Point{{1, 1}}}.SVG())
	for _, raw := range []string{"<b>", `" onload`} {
		if strings.Contains(svg, raw) {
			t.Fatalf("chart contains %q unescaped: %s", raw, svg)
		}
	}
}

func TestChartSize(t *testing.T) {
	d := parseChart(t, Chart{Points: []Point{{1, 1}, {2, 2}}, Width: 300, Height: 100})
	if d.ViewBox != "0 0 300 100" {
		t.Fatalf("viewBox %q", d.ViewBox)
	}
	pts := points(t, d.Polyline[0].Points)
	if pts[0] != [2]float64{chartLeft, 100 - chartBottom} || pts[1] != [2]float64{300 - chartRight, chartTop} {
		t.Fatalf("points %v", pts)
	}
}

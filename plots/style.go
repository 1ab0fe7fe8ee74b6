package plots

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Default sizes of a saved figure.
const (
	Width  = 12 * vg.Centimeter
	Height = 9 * vg.Centimeter
)

// colors is the shared line palette, one color per series in order
// (a colour-blind-safe set after Okabe and Ito).
var colors = []color.RGBA{
	{R: 0, G: 114, B: 178, A: 255},   // blue
	{R: 213, G: 94, B: 0, A: 255},    // vermillion
	{R: 0, G: 158, B: 115, A: 255},   // bluish green
	{R: 204, G: 121, B: 167, A: 255}, // reddish purple
	{R: 230, G: 159, B: 0, A: 255},   // orange
	{R: 86, G: 180, B: 233, A: 255},  // sky blue
	{R: 0, G: 0, B: 0, A: 255},       // black
	{R: 240, G: 228, B: 66, A: 255},  // yellow
}

// color returns the shared color of series i.
func seriesColor(i int) color.RGBA { return colors[i%len(colors)] }

// dashes gives each series a line pattern too, so figures read in grey.
var dashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)},
}

// newPlot returns a plot in the shared style: title, axis labels, a light
// grid, legend at the top right.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = false
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 220}
	grid.Horizontal.Color = color.Gray{Y: 220}
	p.Add(grid)
	return p
}

// lineStyle is series i's line.
func lineStyle(i int) draw.LineStyle {
	return draw.LineStyle{
		Color:  seriesColor(i),
		Width:  vg.Points(1.5),
		Dashes: dashes[i%len(dashes)],
	}
}

// bandColor is series i's color, translucent, for its confidence band.
func bandColor(i int) color.Color {
	c := seriesColor(i)
	const alpha = 60 // of 255: light enough for overlapping bands to show
	return color.NRGBA{R: c.R, G: c.G, B: c.B, A: alpha}
}

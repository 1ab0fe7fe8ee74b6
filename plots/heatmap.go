package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// HeatMap draws a square or rectangular matrix as in figure 5: row 0 at the
// top, column 0 at the left, lighter grey for larger values, the colour
// scale spanning the matrix's own minimum and maximum. m is indexed
// m[row][column] and is not kept.
func HeatMap(title string, m [][]float64) (*plot.Plot, error) {
	g, err := newGrid(m)
	if err != nil {
		return nil, err
	}
	h := plotter.NewHeatMap(g, greys(256))
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "model (column)"
	p.Y.Label.Text = "model (row, first at top)"
	p.X.Padding, p.Y.Padding = 0, 0
	p.HideAxes()
	p.Add(h)
	return p, nil
}

// HeatMaps draws two matrices of the same size as two heat maps, for
// [SaveRow] to place side by side (figure 5a and 5b).
func HeatMaps(titleA string, a [][]float64, titleB string, b [][]float64) ([]*plot.Plot, error) {
	if len(a) != len(b) || (len(a) > 0 && len(a[0]) != len(b[0])) {
		return nil, fmt.Errorf("%w: matrices of %s and %s differ in size", ErrShape, dims(a), dims(b))
	}
	pa, err := HeatMap(titleA, a)
	if err != nil {
		return nil, fmt.Errorf("plots: %s: %w", titleA, err)
	}
	pb, err := HeatMap(titleB, b)
	if err != nil {
		return nil, fmt.Errorf("plots: %s: %w", titleB, err)
	}
	return []*plot.Plot{pa, pb}, nil
}

// grid is a matrix as plotter.GridXYZ, row 0 drawn at the top.
type grid struct {
	m          [][]float64
	rows, cols int
}

// newGrid checks m: not empty, not ragged, finite.
func newGrid(m [][]float64) (grid, error) {
	if len(m) == 0 || len(m[0]) == 0 {
		return grid{}, fmt.Errorf("%w: empty matrix", ErrEmpty)
	}
	for i, row := range m {
		if len(row) != len(m[0]) {
			return grid{}, fmt.Errorf("%w: row %d has %d values, row 0 has %d", ErrShape, i, len(row), len(m[0]))
		}
		if err := checkFinite(fmt.Sprintf("row %d column", i), row); err != nil {
			return grid{}, err
		}
	}
	return grid{m: m, rows: len(m), cols: len(m[0])}, nil
}

func (g grid) Dims() (c, r int)   { return g.cols, g.rows }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }
func (g grid) Z(c, r int) float64 { return g.m[g.rows-1-r][c] }

// greys is a palette from black (smallest) to white (largest).
type greys int

func (n greys) Colors() []color.Color {
	cs := make([]color.Color, n)
	for i := range cs {
		cs[i] = color.Gray{Y: uint8(255 * i / (int(n) - 1))}
	}
	return cs
}

// dims describes a matrix's size for messages.
func dims(m [][]float64) string {
	if len(m) == 0 {
		return "0x0"
	}
	return fmt.Sprintf("%dx%d", len(m), len(m[0]))
}

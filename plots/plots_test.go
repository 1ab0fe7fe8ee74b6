package plots

import (
	"encoding/xml"
	"image"
	_ "image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
)

func TestMeanCI(t *testing.T) {
	// Student's t quantile for 2 degrees of freedom at 0.975 is 4.3027
	// (printed tables); sd of {1,2,3} is 1, so half = 4.3027/sqrt(3).
	mean, half, err := MeanCI([]float64{1, 2, 3})
	require.NoError(t, err)
	assert.InDelta(t, 2, mean, 1e-12)
	assert.InDelta(t, 4.3027/math.Sqrt(3), half, 1e-4)

	mean, half, err = MeanCI([]float64{0.25})
	require.NoError(t, err)
	assert.Equal(t, 0.25, mean)
	assert.Zero(t, half, "one value has no interval")

	_, _, err = MeanCI(nil)
	assert.ErrorIs(t, err, ErrEmpty)
	_, _, err = MeanCI([]float64{1, math.NaN()})
	assert.ErrorIs(t, err, ErrNotFinite)
}

func TestBestSoFar(t *testing.T) {
	got := BestSoFar([]Model{{Failed: true}, {Cost: 0.4}, {Cost: 0.5}, {Cost: 0.1, Failed: true}, {Cost: 0.2}})
	require.Len(t, got, 5)
	assert.True(t, math.IsNaN(got[0]), "nothing before the first success")
	assert.Equal(t, []float64{0.4, 0.4, 0.4, 0.2}, got[1:], "a failed model's cost is ignored")
}

func TestModelBand(t *testing.T) {
	runs := []Run{
		{Seed: 1, Models: []Model{{Cost: 0.5, Elapsed: 1}, {Cost: 0.3, Elapsed: 2}, {Cost: 0.4, Elapsed: 3}}},
		{Seed: 2, Models: []Model{{Cost: 0.6, Elapsed: 1}, {Cost: 0.2, Elapsed: 2}}},
	}
	b, err := ModelBand(runs)
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2, 3}, b.X)
	assert.Equal(t, []int{2, 2, 1}, b.N, "model 3 only in the first run")
	assert.InDeltaSlice(t, []float64{0.55, 0.25, 0.3}, b.Mean, 1e-12)
	// Two values a, b: sd = |a-b|/sqrt(2), half = t(1) * sd / sqrt(2)
	// = 12.7062 * |a-b| / 2 (t quantile for 1 degree of freedom).
	assert.InDelta(t, 0.55-12.7062*0.1/2, b.Lo[0], 1e-4)
	assert.InDelta(t, 0.25+12.7062*0.1/2, b.Hi[1], 1e-4)
	assert.Equal(t, b.Lo[2], b.Hi[2], "one run: no width")
}

func TestTimeBand(t *testing.T) {
	runs := []Run{
		{Seed: 1, Duration: 30, Models: []Model{{Cost: 0.5, Elapsed: 10}, {Cost: 0.3, Elapsed: 20}}},
		{Seed: 2, Duration: 15, Models: []Model{{Cost: 0.4, Elapsed: 5}}},
	}
	// Sample times 0, 10, 20, 30: nothing is back at 0; from 10 both runs,
	// the second keeping its 0.4 after it stopped at 15.
	b, err := TimeBand(runs, 4)
	require.NoError(t, err)
	assert.Equal(t, []float64{10, 20, 30}, b.X)
	assert.Equal(t, []int{2, 2, 2}, b.N)
	assert.InDeltaSlice(t, []float64{0.45, 0.35, 0.35}, b.Mean, 1e-12)
}

func TestBadData(t *testing.T) {
	good := []Run{{Models: []Model{{Cost: 0.1, Elapsed: 1}}}}
	nan := []Run{{Models: []Model{{Cost: math.NaN(), Elapsed: 1}}}}
	inf := []Run{{Models: []Model{{Cost: 0.1, Elapsed: math.Inf(1)}}}}
	back := []Run{{Models: []Model{{Cost: 0.1, Elapsed: 2}, {Cost: 0.1, Elapsed: 1}}}}
	allFailed := []Run{{Models: []Model{{Failed: true, Elapsed: 1}}}}

	cases := []struct {
		name string
		draw func() (*plot.Plot, error)
		want error
	}{
		{"models/no series", func() (*plot.Plot, error) { return BestVsModels("", nil) }, ErrEmpty},
		{"models/no runs", func() (*plot.Plot, error) { return BestVsModels("", []Series{{Name: "AK"}}) }, ErrEmpty},
		{"models/no models", func() (*plot.Plot, error) { return BestVsModels("", []Series{{Name: "AK", Runs: []Run{{}}}}) }, ErrEmpty},
		{"models/all failed", func() (*plot.Plot, error) { return BestVsModels("", []Series{{Name: "AK", Runs: allFailed}}) }, ErrEmpty},
		{"models/nan", func() (*plot.Plot, error) { return BestVsModels("", []Series{{Name: "AK", Runs: nan}}) }, ErrNotFinite},
		{"models/inf", func() (*plot.Plot, error) {
			return BestVsModels("", []Series{{Name: "AK", Runs: good}, {Name: "BO", Runs: inf}})
		}, ErrNotFinite},
		{"time/nan", func() (*plot.Plot, error) { return BestVsTime("", []Series{{Name: "AK", Runs: nan}}) }, ErrNotFinite},
		{"time/backwards", func() (*plot.Plot, error) { return BestVsTime("", []Series{{Name: "AK", Runs: back}}) }, ErrShape},
		{"time/empty", func() (*plot.Plot, error) { return BestVsTime("", nil) }, ErrEmpty},
		{"sensitivity/empty", func() (*plot.Plot, error) { return Sensitivity("", "β", nil) }, ErrEmpty},
		{"sensitivity/no errors", func() (*plot.Plot, error) { return Sensitivity("", "β", []Setting{{Value: 1}}) }, ErrEmpty},
		{"sensitivity/nan value", func() (*plot.Plot, error) {
			return Sensitivity("", "β", []Setting{{Value: math.NaN(), Errors: []float64{0.1}}})
		}, ErrNotFinite},
		{"sensitivity/inf error", func() (*plot.Plot, error) {
			return Sensitivity("", "β", []Setting{{Value: 1, Errors: []float64{math.Inf(1)}}})
		}, ErrNotFinite},
		{"sensitivity/zero on log axis", func() (*plot.Plot, error) {
			return Sensitivity("", "β", []Setting{{Value: 0, Errors: []float64{0.1}}})
		}, ErrShape},
		{"sensitivity/duplicate", func() (*plot.Plot, error) {
			return Sensitivity("", "β", []Setting{{Value: 1, Errors: []float64{0.1}}, {Value: 1, Errors: []float64{0.2}}})
		}, ErrShape},
		{"heat/empty", func() (*plot.Plot, error) { return HeatMap("", nil) }, ErrEmpty},
		{"heat/ragged", func() (*plot.Plot, error) { return HeatMap("", [][]float64{{1, 2}, {3}}) }, ErrShape},
		{"heat/nan", func() (*plot.Plot, error) { return HeatMap("", [][]float64{{1, math.NaN()}}) }, ErrNotFinite},
		{"heat/inf", func() (*plot.Plot, error) { return HeatMap("", [][]float64{{math.Inf(-1)}}) }, ErrNotFinite},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.draw()
			assert.ErrorIs(t, err, c.want)
			assert.Nil(t, p)
		})
	}

	_, err := HeatMaps("K", [][]float64{{1}}, "P", [][]float64{{1, 2}, {3, 4}})
	assert.ErrorIs(t, err, ErrShape)
	assert.ErrorIs(t, SaveRow(filepath.Join(t.TempDir(), "x.png"), Width, Height), ErrEmpty)
}

func TestIntegerTicks(t *testing.T) {
	// Span 22.5: steps of 1 and 2 give more than six ticks, 5 gives 5, 10,
	// 15, 20.
	var got []string
	for _, tk := range (integerTicks{}).Ticks(0.5, 23) {
		got = append(got, tk.Label)
	}
	assert.Equal(t, []string{"5", "10", "15", "20"}, got)
	assert.Len(t, integerTicks{}.Ticks(1, 3), 3, "1, 2, 3")
}

func TestHeatMapOrientation(t *testing.T) {
	g, err := newGrid([][]float64{{1, 2, 3}, {4, 5, 6}})
	require.NoError(t, err)
	c, r := g.Dims()
	assert.Equal(t, 3, c)
	assert.Equal(t, 2, r)
	assert.Equal(t, 1.0, g.Z(0, 1), "row 0 is drawn at the top (highest y)")
	assert.Equal(t, 6.0, g.Z(2, 0))
}

// TestSave draws every figure from good data and checks that the PNG files
// decode at the requested size and the SVG files parse as XML.
func TestSave(t *testing.T) {
	dir := t.TempDir()
	if keep := os.Getenv("PLOTS_KEEP"); keep != "" {
		dir = keep // to look at the figures: PLOTS_KEEP=/some/dir go test
	}
	runs := func(scale float64) []Run {
		return []Run{
			{Seed: 1, Models: []Model{{Cost: 0.5 * scale, Elapsed: 30}, {Cost: 0.3 * scale, Elapsed: 70}, {Cost: 0.35 * scale, Elapsed: 100}}},
			{Seed: 2, Models: []Model{{Cost: 0.45 * scale, Elapsed: 20}, {Cost: 0.4 * scale, Elapsed: 90}}},
		}
	}
	series := []Series{{Name: "AK", Runs: runs(0.8)}, {Name: "BFS", Runs: runs(1)}, {Name: "BO", Runs: runs(0.9)}}
	b, err := BestVsModels("Figure 4b", series)
	require.NoError(t, err)
	c, err := BestVsTime("Figure 4c", series)
	require.NoError(t, err)
	s, err := Sensitivity("Figure 4a", "β", []Setting{
		{Value: 0.01, Errors: []float64{0.2, 0.22}}, {Value: 100, Errors: []float64{0.25, 0.2}}, {Value: 1, Errors: []float64{0.1, 0.12}},
	})
	require.NoError(t, err)
	hm, err := HeatMaps("K", [][]float64{{1, 0.5}, {0.5, 1}}, "P", [][]float64{{1, -1}, {-1, 1}})
	require.NoError(t, err)

	for name, p := range map[string]*plot.Plot{"b": b, "c": c, "s": s} {
		png := filepath.Join(dir, name+".png")
		require.NoError(t, Save(p, png))
		checkPNG(t, png, int(Width.Dots(96)), int(Height.Dots(96)))
		svg := filepath.Join(dir, name+".svg")
		require.NoError(t, Save(p, svg))
		checkSVG(t, svg)
	}
	row := filepath.Join(dir, "k.png")
	require.NoError(t, SaveRow(row, 2*Width, Height, hm...))
	checkPNG(t, row, int((2 * Width).Dots(96)), int(Height.Dots(96)))
	assert.Error(t, Save(b, filepath.Join(dir, "x.nope")), "unknown format")
	require.NoError(t, Save(b, filepath.Join(dir, "new", "dir", "b.png")), "directories are created")
}

func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, format, err := image.Decode(f)
	require.NoError(t, err, path)
	assert.Equal(t, "png", format)
	// vgimg renders at 96 dpi by default; allow one pixel of rounding.
	assert.InDelta(t, w, img.Bounds().Dx(), 1, path)
	assert.InDelta(t, h, img.Bounds().Dy(), 1, path)
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	d := xml.NewDecoder(f)
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, path)
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	assert.Equal(t, "svg", root, path)
}

package plots

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// BestVsModels draws figure 4b: for each series, the lowest validation
// error so far (in percent) against the number of models searched, the
// mean over its runs with a 95% confidence band (see [ModelBand]).
func BestVsModels(title string, series []Series) (*plot.Plot, error) {
	p, err := bestCurves(title, "models searched", series, func(r []Run) (Band, error) {
		return ModelBand(r)
	})
	if err != nil {
		return nil, err
	}
	p.X.Tick.Marker = integerTicks{}
	return p, nil
}

// integerTicks labels an axis that counts at whole multiples of 1, 2 or 5
// times a power of ten, at most about six of them.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for k := 0; (hi-lo)/step > 6; k++ {
		step = []float64{1, 2, 5}[k%3] * math.Pow(10, float64(k/3))
	}
	var out []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return out
}

// BestVsTime draws figure 4c: for each series, the lowest validation error
// so far (in percent) against search time in minutes, the mean over its
// runs with a 95% confidence band (see [TimeBand], 200 points).
func BestVsTime(title string, series []Series) (*plot.Plot, error) {
	return bestCurves(title, "search time (min)", series, func(r []Run) (Band, error) {
		b, err := TimeBand(r, 200)
		for i := range b.X {
			b.X[i] /= 60
		}
		return b, err
	})
}

// bestCurves draws one line and band per series from the band function.
func bestCurves(title, xlabel string, series []Series, band func([]Run) (Band, error)) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("%w: no series", ErrEmpty)
	}
	p := newPlot(title, xlabel, "lowest validation error (%)")
	for i, s := range series {
		b, err := band(s.Runs)
		if err != nil {
			return nil, fmt.Errorf("plots: series %q: %w", s.Name, err)
		}
		if err := addBand(p, i, s.Name, b); err != nil {
			return nil, fmt.Errorf("plots: series %q: %w", s.Name, err)
		}
	}
	return p, nil
}

// addBand adds series i's mean line (in percent), with a legend entry, and
// its band where it has width.
func addBand(p *plot.Plot, i int, name string, b Band) error {
	mean := make(plotter.XYs, len(b.X))
	var poly plotter.XYs
	wide := false
	for j := range b.X {
		mean[j] = plotter.XY{X: b.X[j], Y: 100 * b.Mean[j]}
		wide = wide || b.Hi[j] > b.Lo[j]
	}
	if wide {
		poly = make(plotter.XYs, 0, 2*len(b.X))
		// An error rate lies in [0, 1]: the band is drawn clipped to it.
		for j := range b.X {
			poly = append(poly, plotter.XY{X: b.X[j], Y: 100 * max(b.Lo[j], 0)})
		}
		for j := len(b.X) - 1; j >= 0; j-- {
			poly = append(poly, plotter.XY{X: b.X[j], Y: 100 * min(b.Hi[j], 1)})
		}
		pg, err := plotter.NewPolygon(poly)
		if err != nil {
			return err
		}
		pg.Color = bandColor(i)
		pg.LineStyle.Width = 0
		p.Add(pg)
	}
	l, err := plotter.NewLine(mean)
	if err != nil {
		return err
	}
	l.LineStyle = lineStyle(i)
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

package plots

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// Setting is one value of a searcher parameter with the error rates (in
// [0, 1]) reached with it, one per seed.
type Setting struct {
	Value  float64
	Errors []float64
}

// Sensitivity draws figure 4a for one parameter: the mean error (in
// percent) against the parameter's value on a logarithmic axis, with 95%
// confidence intervals over seeds as error bars where there are at least
// two seeds. Values must be positive and distinct; they are drawn in
// increasing order. param names the parameter on the x axis (for example
// "β").
func Sensitivity(title, param string, settings []Setting) (*plot.Plot, error) {
	if len(settings) == 0 {
		return nil, fmt.Errorf("%w: no settings of %s", ErrEmpty, param)
	}
	pts := make(plotter.XYs, len(settings))
	errs := make(plotter.YErrors, len(settings))
	wide := false
	for i, s := range settings {
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			return nil, fmt.Errorf("%w: %s = %v", ErrNotFinite, param, s.Value)
		}
		if s.Value <= 0 {
			return nil, fmt.Errorf("%w: %s = %v is not positive, so not on a log axis", ErrShape, param, s.Value)
		}
		mean, half, err := MeanCI(s.Errors)
		if err != nil {
			return nil, fmt.Errorf("plots: %s = %v: %w", param, s.Value, err)
		}
		pts[i] = plotter.XY{X: s.Value, Y: 100 * mean}
		errs[i] = struct{ Low, High float64 }{100 * half, 100 * half}
		wide = wide || half > 0
	}
	order := make([]int, len(pts))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(pts[a].X, pts[b].X) })
	sorted := make(plotter.XYs, len(pts))
	sortedErrs := make(plotter.YErrors, len(pts))
	for i, j := range order {
		sorted[i], sortedErrs[i] = pts[j], errs[j]
		if i > 0 && sorted[i].X == sorted[i-1].X {
			return nil, fmt.Errorf("%w: %s = %v appears twice", ErrShape, param, sorted[i].X)
		}
	}

	p := newPlot(title, param+" (log scale)", "test error (%)")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top = true
	l, s, err := plotter.NewLinePoints(sorted)
	if err != nil {
		return nil, err
	}
	l.LineStyle = lineStyle(0)
	s.Color = seriesColor(0)
	p.Add(l, s)
	if wide {
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{sorted, sortedErrs})
		if err != nil {
			return nil, err
		}
		eb.LineStyle.Color = seriesColor(0)
		p.Add(eb)
	}
	return p, nil
}

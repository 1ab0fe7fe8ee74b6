package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// MeanCI returns the mean of xs and the half-width of its two-sided 95%
// confidence interval from Student's t distribution with len(xs)-1 degrees
// of freedom: mean ± half. With a single value half is 0 (no interval can
// be computed; callers say so in their warnings). It returns an error
// wrapping ErrEmpty for no values and ErrNotFinite for a NaN or infinity.
func MeanCI(xs []float64) (mean, half float64, err error) {
	if len(xs) == 0 {
		return 0, 0, fmt.Errorf("%w: mean of no values", ErrEmpty)
	}
	if err := checkFinite("value", xs); err != nil {
		return 0, 0, err
	}
	if len(xs) == 1 {
		return xs[0], 0, nil
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	n := float64(len(xs))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975)
	return mean, t * sd / math.Sqrt(n), nil
}

// checkFinite returns an error naming what and the index of the first NaN
// or infinite value in xs.
func checkFinite(what string, xs []float64) error {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: %s %d is %v", ErrNotFinite, what, i, x)
		}
	}
	return nil
}

package plots

import (
	"fmt"
	"math"
)

// Model is one trained model of a search, in the order the search observed
// it.
type Model struct {
	// Cost is the model's validation error rate in [0, 1]; it is ignored
	// when Failed is set.
	Cost float64
	// Elapsed is the number of seconds from the start of the search to the
	// moment this model's result came back.
	Elapsed float64
	// Failed marks a trial that produced no model; it still counts as a
	// model searched.
	Failed bool
}

// Run is one search: one searcher on one data set with one seed.
type Run struct {
	Seed   uint64
	Models []Model
	// Duration is how long the search ran in seconds; zero means until the
	// last model came back.
	Duration float64
}

// Series is one searcher's runs over several seeds: one line with its band
// in figures 4b and 4c.
type Series struct {
	Name string
	Runs []Run
}

// Band is a curve with its 95% confidence band over seeds: at X[i] the
// mean is Mean[i], the band runs from Lo[i] to Hi[i], and N[i] runs
// contribute (the band has zero width where N[i] is 1).
type Band struct {
	X, Mean, Lo, Hi []float64
	N               []int
}

// BestSoFar returns, for each model k, the lowest cost among the successful
// models 0..k; it is NaN until the first successful model.
func BestSoFar(models []Model) []float64 {
	best := make([]float64, len(models))
	cur := math.NaN()
	for i, m := range models {
		if !m.Failed && (math.IsNaN(cur) || m.Cost < cur) {
			cur = m.Cost
		}
		best[i] = cur
	}
	return best
}

// ModelBand returns the lowest error so far against the number of models
// searched (1, 2, ...), averaged over runs: at k models the mean is over
// the runs that searched at least k models and had a successful one among
// them.
func ModelBand(runs []Run) (Band, error) {
	if err := checkRuns(runs); err != nil {
		return Band{}, err
	}
	curves := make([][]float64, len(runs))
	longest := 0
	for i, r := range runs {
		curves[i] = BestSoFar(r.Models)
		longest = max(longest, len(r.Models))
	}
	var b Band
	for k := range longest {
		var vals []float64
		for _, c := range curves {
			if k < len(c) && !math.IsNaN(c[k]) {
				vals = append(vals, c[k])
			}
		}
		if err := b.add(float64(k+1), vals); err != nil {
			return Band{}, err
		}
	}
	if len(b.X) == 0 {
		return Band{}, fmt.Errorf("%w: no successful model in any run", ErrEmpty)
	}
	return b, nil
}

// TimeBand returns the lowest error so far against search time in seconds,
// sampled at points evenly spaced times from 0 to the longest run's
// duration (points below 2 mean 200). At time t the mean is over the runs
// that had a successful model back by t; a run that ended before t keeps
// the lowest error it reached, which is what it achieved by then.
func TimeBand(runs []Run, points int) (Band, error) {
	if err := checkRuns(runs); err != nil {
		return Band{}, err
	}
	if points < 2 {
		points = 200
	}
	end := 0.0
	for _, r := range runs {
		end = max(end, duration(r))
	}
	var b Band
	for i := range points {
		t := end * float64(i) / float64(points-1)
		var vals []float64
		for _, r := range runs {
			best := math.NaN()
			for _, m := range r.Models {
				if m.Elapsed > t {
					break
				}
				if !m.Failed && (math.IsNaN(best) || m.Cost < best) {
					best = m.Cost
				}
			}
			if !math.IsNaN(best) {
				vals = append(vals, best)
			}
		}
		if err := b.add(t, vals); err != nil {
			return Band{}, err
		}
	}
	if len(b.X) == 0 {
		return Band{}, fmt.Errorf("%w: no successful model in any run", ErrEmpty)
	}
	return b, nil
}

// add appends the point (x, mean ± CI of vals); no values add no point.
func (b *Band) add(x float64, vals []float64) error {
	if len(vals) == 0 {
		return nil
	}
	mean, half, err := MeanCI(vals)
	if err != nil {
		return err
	}
	b.X = append(b.X, x)
	b.Mean = append(b.Mean, mean)
	b.Lo = append(b.Lo, mean-half)
	b.Hi = append(b.Hi, mean+half)
	b.N = append(b.N, len(vals))
	return nil
}

// duration is the run's length in seconds.
func duration(r Run) float64 {
	if r.Duration > 0 {
		return r.Duration
	}
	if len(r.Models) == 0 {
		return 0
	}
	return r.Models[len(r.Models)-1].Elapsed
}

// checkRuns rejects no runs, runs without models, non-finite costs or
// times, and times that decrease.
func checkRuns(runs []Run) error {
	if len(runs) == 0 {
		return fmt.Errorf("%w: no runs", ErrEmpty)
	}
	for i, r := range runs {
		if len(r.Models) == 0 {
			return fmt.Errorf("%w: run %d (seed %d) has no models", ErrEmpty, i, r.Seed)
		}
		if math.IsNaN(r.Duration) || math.IsInf(r.Duration, 0) {
			return fmt.Errorf("%w: run %d (seed %d) duration is %v", ErrNotFinite, i, r.Seed, r.Duration)
		}
		for j, m := range r.Models {
			bad := math.IsNaN(m.Elapsed) || math.IsInf(m.Elapsed, 0)
			if !m.Failed {
				bad = bad || math.IsNaN(m.Cost) || math.IsInf(m.Cost, 0)
			}
			if bad {
				return fmt.Errorf("%w: run %d (seed %d) model %d has cost %v at %v s",
					ErrNotFinite, i, r.Seed, j+1, m.Cost, m.Elapsed)
			}
			if j > 0 && m.Elapsed < r.Models[j-1].Elapsed {
				return fmt.Errorf("%w: run %d (seed %d) model %d comes back at %v s, before model %d at %v s",
					ErrShape, i, r.Seed, j+1, m.Elapsed, j, r.Models[j-1].Elapsed)
			}
		}
	}
	return nil
}

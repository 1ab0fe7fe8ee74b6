package bayes

import (
	"cmp"
	"fmt"
	"math"

	"github.com/morphnas/morphnas/core/gp"
	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/kernel"
	"github.com/morphnas/morphnas/core/search"
)

// Surrogate is the Gaussian process of the update step, fitted to the
// costs of a history's successful observations over the edit-distance
// kernel. Predictions use the kernel of the fit, its length scale included.
// It is immutable after Fit and safe for concurrent use.
type Surrogate struct {
	beta     float64
	kern     *kernel.Kernel
	model    *gp.Model
	ids      []int
	excluded int
	tried    []LengthFit
}

// LengthFit is one length scale a fit tried and the log marginal likelihood
// of its Gaussian process (gp.Model.LogMarginalLikelihood); NaN when the
// kernel matrix could not be factorised at that scale.
type LengthFit struct {
	Length, LogML float64
}

// Fit fits a Surrogate to obs. Every successful observation is used,
// repeated architectures included; an observation is left out, and counted
// by Excluded, when it failed (its cost means nothing), its cost is not
// finite, or it has no graph. Fit returns ErrNoObservations when none is
// left, and wraps the kernel's and the Gaussian process's errors.
//
// The length scale is cfg.Length when set. Otherwise Fit fits one Gaussian
// process per value of cfg.Lengths and keeps the one of highest log
// marginal likelihood (ties go to the earlier value), unless the grid holds
// kernel.DefaultLength (1, the paper's form) and its log likelihood is
// within LengthMargin of the highest: then it keeps 1. The choice depends only on the
// observations and cfg, so it is deterministic. Cost: n^2/2 distances, the
// embedding, and one O(n^2) kernel matrix and one O(n^3/3) factorisation
// per length tried.
func Fit(obs []search.Observation, cfg Config) (*Surrogate, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	s := &Surrogate{beta: cfg.Beta}
	var archs []kernel.Arch
	var costs []float64
	for i := range obs {
		o := &obs[i]
		if o.Failed || o.Graph == nil || math.IsNaN(o.Cost) || math.IsInf(o.Cost, 0) {
			s.excluded++
			continue
		}
		a, err := kernel.Describe(o.Graph)
		if err != nil {
			return nil, fmt.Errorf("bayes: model %d: %w", o.ID, err)
		}
		archs = append(archs, a)
		costs = append(costs, o.Cost)
		s.ids = append(s.ids, o.ID)
	}
	if len(archs) == 0 {
		return nil, fmt.Errorf("%w (%d observations, all failed or without a cost)", ErrNoObservations, len(obs))
	}
	kern, err := kernel.New(archs, kernel.Config{Lambda: cfg.Lambda, Seed: cfg.Seed, Length: cfg.Length})
	if err != nil {
		return nil, fmt.Errorf("bayes: %w", err)
	}
	gcfg := gp.Config{Noise: cfg.Noise, Logger: cfg.Logger}
	if cfg.Length > 0 {
		s.kern = kern
		s.model, err = gp.Fit(kern.Matrix(), costs, gcfg)
		if err != nil {
			return nil, fmt.Errorf("bayes: %w", err)
		}
		s.tried = []LengthFit{{cfg.Length, s.model.LogMarginalLikelihood()}}
		return s, nil
	}

	// Choose the length scale by the log marginal likelihood.
	// TODO: the noise stays at cfg.Noise (1e-6 by default) while l is
	// chosen, so costs that scatter from training noise can only be
	// explained by a short scale: on the quick-profile BFS and BO histories
	// (9 to 24 models, repeated architectures with different costs among
	// them) the choice falls to 0.5 to 0.7. Choosing the noise with l (a joint grid) would
	// tell scatter from structure; it changes the fit's interpolation too,
	// so it needs its own measurement on the synthetic objective.
	var firstErr error
	var def *Surrogate // the fit at kernel.DefaultLength, when tried
	for _, l := range cfg.Lengths {
		kl, err := kern.WithLength(l)
		if err != nil {
			return nil, fmt.Errorf("bayes: %w", err)
		}
		m, err := gp.Fit(kl.Matrix(), costs, gcfg)
		if err != nil {
			firstErr = cmp.Or(firstErr, err)
			s.tried = append(s.tried, LengthFit{l, math.NaN()})
			continue
		}
		ml := m.LogMarginalLikelihood()
		s.tried = append(s.tried, LengthFit{l, ml})
		if l == kernel.DefaultLength {
			def = &Surrogate{kern: kl, model: m}
		}
		if s.model == nil || ml > s.model.LogMarginalLikelihood() {
			s.kern, s.model = kl, m
		}
	}
	if s.model == nil {
		return nil, fmt.Errorf("bayes: no length scale of %v could be fitted: %w", cfg.Lengths, firstErr)
	}
	if def != nil && def.model.LogMarginalLikelihood() >= s.model.LogMarginalLikelihood()-LengthMargin {
		s.kern, s.model = def.kern, def.model
	}
	cfg.Logger.Debug("bayes: length scale chosen", "n", len(costs), "length", s.kern.Length(),
		"log_ml", s.model.LogMarginalLikelihood())
	return s, nil
}

// Length returns the kernel's length scale l, fixed by Config.Length or
// chosen by the fit.
func (s *Surrogate) Length() float64 { return s.kern.Length() }

// Tried returns the length scales the fit tried, in order, with their log
// marginal likelihoods: one entry when Config.Length fixed the scale. The
// slice is shared; do not change it.
func (s *Surrogate) Tried() []LengthFit { return s.tried }

// N returns the number of observations the Gaussian process was fitted to.
func (s *Surrogate) N() int { return s.model.N() }

// IDs returns the model ids of those observations, in the order of the
// kernel matrix. The slice is shared; do not change it.
func (s *Surrogate) IDs() []int { return s.ids }

// Excluded returns the number of observations left out of the fit.
func (s *Surrogate) Excluded() int { return s.excluded }

// Kernel returns the kernel the Gaussian process was fitted with.
func (s *Surrogate) Kernel() *kernel.Kernel { return s.kern }

// Model returns the fitted Gaussian process.
func (s *Surrogate) Model() *gp.Model { return s.model }

// Predict returns the posterior mean and standard deviation of the cost of
// an architecture. Cost O(n) distances and O(n^2) for the deviation.
func (s *Surrogate) Predict(a kernel.Arch) (mean, std float64) {
	return s.model.Predict(s.kern.Row(a), 1)
}

// Acquisition returns alpha = mu - beta*sigma (equation 9), the
// upper-confidence bound on the cost, to be minimised.
func (s *Surrogate) Acquisition(a kernel.Arch) float64 {
	mu, sd := s.Predict(a)
	return mu - s.beta*sd
}

// PredictGraph is Predict for a graph.
func (s *Surrogate) PredictGraph(g *graph.Graph) (mean, std float64, err error) {
	a, err := kernel.Describe(g)
	if err != nil {
		return 0, 0, fmt.Errorf("bayes: %w", err)
	}
	mean, std = s.Predict(a)
	return mean, std, nil
}

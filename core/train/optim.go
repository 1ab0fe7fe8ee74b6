package train

import (
	"fmt"
	"math"
)

// optimizer updates the flat parameter vector from its gradient.
type optimizer[T float] struct {
	adam     bool
	momentum float64
	decay    float64 // the global weight-decay rate
	v, m     []T     // SGD velocity; Adam second and first moments
	t        int     // Adam step count
}

func newOptimizer[T float](cfg Config, n int) *optimizer[T] {
	o := &optimizer[T]{adam: cfg.Optimizer == "adam", momentum: max(cfg.Momentum, 0), decay: cfg.WeightDecay}
	o.v = make([]T, n)
	if o.adam {
		o.m = make([]T, n)
	}
	return o
}

// Adam's constants, the usual ones.
const (
	adamBeta1 = 0.9
	adamBeta2 = 0.999
	adamEps   = 1e-8
)

// step applies one update with learning rate lr. Weight decay is L2
// regularisation added to the gradient: each segment's own rate, the
// global rate for segments marked -1, none for biases and batch norm.
func (o *optimizer[T]) step(params, grads []T, segs []segment, lr float64) {
	for _, s := range segs {
		d := s.decay
		if d < 0 {
			d = o.decay
		}
		if d == 0 {
			continue
		}
		dt := T(d)
		g, w := grads[s.off:s.off+s.n], params[s.off:s.off+s.n]
		for j, v := range w {
			g[j] += dt * v
		}
	}
	if !o.adam {
		mu, step := T(o.momentum), T(lr)
		v := o.v[:len(params)]
		g := grads[:len(params)]
		for j := range params {
			v[j] = mu*v[j] + g[j]
			params[j] -= step * v[j]
		}
		return
	}
	o.t++
	c1 := 1 - math.Pow(adamBeta1, float64(o.t))
	c2 := 1 - math.Pow(adamBeta2, float64(o.t))
	step := T(lr * math.Sqrt(c2) / c1)
	eps := T(adamEps * math.Sqrt(c2))
	b1, b2 := T(adamBeta1), T(adamBeta2)
	m, v := o.m[:len(params)], o.v[:len(params)]
	g := grads[:len(params)]
	for j := range params {
		gj := g[j]
		m[j] = b1*m[j] + (1-b1)*gj
		v[j] = b2*v[j] + (1-b2)*gj*gj
		params[j] -= step * m[j] / (T(math.Sqrt(float64(v[j]))) + eps)
	}
}

// rate returns the learning rate of epoch (1-based) under the schedule.
func rate(cfg Config, epoch int) float64 {
	lr := cfg.LearningRate
	frac := float64(epoch-1) / float64(cfg.MaxEpochs)
	switch cfg.Schedule {
	case "cosine":
		return lr * 0.5 * (1 + math.Cos(math.Pi*frac))
	case "step":
		switch {
		case frac >= 0.75:
			return lr * 0.01
		case frac >= 0.5:
			return lr * 0.1
		}
	}
	return lr
}

// checkSchedule reports an unknown schedule name.
func checkSchedule(s string) error {
	switch s {
	case "constant", "cosine", "step":
		return nil
	}
	return fmt.Errorf("train: unknown schedule %q (want constant, cosine or step)", s)
}

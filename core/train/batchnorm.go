package train

import (
	"math"

	"github.com/morphnas/morphnas/core/graph"
)

// bnForward normalises x per channel. In training mode it uses the batch's
// mean and (biased) variance and moves the running statistics towards
// them, the variance unbiased as PyTorch does; in inference mode it uses
// the running statistics.
func (e *engine[T]) bnForward(ls *layerState[T], x, y []T, n int, in graph.Shape, training bool) {
	C := in.C
	px := max(in.H*in.W, 1) // positions per example and channel
	if training {
		// Per-chunk sums of x and x² in float64, reduced in chunk order.
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			s := ls.part64[c*2*C : (c+1)*2*C]
			clear(s)
			sum, sq := s[:C], s[C:]
			for p := lo * px; p < (lo+m)*px; p++ {
				for j, v := range x[p*C : (p+1)*C] {
					f := float64(v)
					sum[j] += f
					sq[j] += f * f
				}
			}
		})
		cnt := float64(n * px)
		nc := chunks(n)
		for j := range C {
			var s, q float64
			for c := range nc {
				s += ls.part64[c*2*C+j]
				q += ls.part64[c*2*C+C+j]
			}
			mean := s / cnt
			v := max(q/cnt-mean*mean, 0)
			inv := 1 / math.Sqrt(v+graph.BNEpsilon)
			ls.bmean[j], ls.binv[j] = T(mean), T(inv)
			ls.scale[j] = ls.gamma[j] * T(inv)
			ls.shift[j] = ls.beta[j] - T(mean)*ls.scale[j]
			unbiased := v
			if cnt > 1 {
				unbiased = v * cnt / (cnt - 1)
			}
			ls.mean[j] = T((1-bnMomentum)*float64(ls.mean[j]) + bnMomentum*mean)
			ls.vr[j] = T((1-bnMomentum)*float64(ls.vr[j]) + bnMomentum*unbiased)
		}
	} else {
		for j := range C {
			inv := 1 / math.Sqrt(float64(ls.vr[j])+graph.BNEpsilon)
			ls.scale[j] = T(float64(ls.gamma[j]) * inv)
			ls.shift[j] = T(float64(ls.beta[j]) - float64(ls.mean[j])*float64(ls.gamma[j])*inv)
		}
	}

	// The affine map.
	e.par(n, func(_, c int) {
		lo, m := span(c, n)
		sc, sh := ls.scale, ls.shift
		for p := lo * px; p < (lo+m)*px; p++ {
			yr := y[p*C : (p+1)*C]
			for j, v := range x[p*C : (p+1)*C] {
				yr[j] = v*sc[j] + sh[j]
			}
		}
	})
}

// bnBackward differentiates batch norm in training mode (batch
// statistics):
//
//	dbeta = Σ dy, dgamma = Σ dy·x̂,
//	dx = gamma/σ · (dy − dbeta/M − x̂·dgamma/M)
//
// with M the number of values per channel.
func (e *engine[T]) bnBackward(ls *layerState[T], x, dy []T, n int, in graph.Shape, u int) {
	C := in.C
	px := max(in.H*in.W, 1)
	e.par(n, func(_, c int) {
		lo, m := span(c, n)
		s := ls.part64[c*2*C : (c+1)*2*C]
		clear(s)
		sdy, sdx := s[:C], s[C:]
		mean, inv := ls.bmean, ls.binv
		for p := lo * px; p < (lo+m)*px; p++ {
			g := dy[p*C : (p+1)*C]
			for j, v := range x[p*C : (p+1)*C] {
				sdy[j] += float64(g[j])
				sdx[j] += float64(g[j] * (v - mean[j]) * inv[j])
			}
		}
	})
	nc := chunks(n)
	for j := range C {
		var s, q float64
		for c := range nc {
			s += ls.part64[c*2*C+j]
			q += ls.part64[c*2*C+C+j]
		}
		ls.dbeta[j], ls.dg[j] = T(s), T(q)
	}

	dx, add := e.target(u)
	if dx == nil {
		return
	}
	invM := 1 / T(n*px)
	e.par(n, func(_, c int) {
		lo, m := span(c, n)
		mean, inv, sc := ls.bmean, ls.binv, ls.scale
		db, dg := ls.dbeta, ls.dg
		for p := lo * px; p < (lo+m)*px; p++ {
			g, d := dy[p*C:(p+1)*C], dx[p*C:(p+1)*C]
			for j, v := range x[p*C : (p+1)*C] {
				xh := (v - mean[j]) * inv[j]
				r := sc[j] * (g[j] - db[j]*invM - xh*dg[j]*invM)
				if add {
					d[j] += r
				} else {
					d[j] = r
				}
			}
		}
	})
}

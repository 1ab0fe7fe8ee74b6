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
	// Per chunk, Σdy and Σdy·(x − mean) per channel: each example's sums in T
	// (at most H·W terms), added up across examples in float64.
	e.par(n, func(w, c int) {
		lo, m := span(c, n)
		s := ls.part64[c*2*C : (c+1)*2*C]
		clear(s)
		sdy, sdx := s[:C], s[C:]
		acc := ls.acc[w*2*C : (w+1)*2*C]
		ady, adx := acc[:C], acc[C:]
		mean := ls.bmean[:C]
		for b := lo; b < lo+m; b++ {
			clear(acc)
			for p := b * px; p < (b+1)*px; p++ {
				g := dy[p*C : (p+1)*C]
				xr := x[p*C : (p+1)*C]
				g = g[:len(xr)]
				for j, v := range xr {
					ady[j] += g[j]
					adx[j] += g[j] * (v - mean[j])
				}
			}
			for j := range C {
				sdy[j] += float64(ady[j])
				sdx[j] += float64(adx[j])
			}
		}
	})
	// Σdy·x̂ = inv·Σdy·(x − mean).
	for c := range chunks(n) {
		s := ls.part64[c*2*C+C : (c+1)*2*C]
		for j := range C {
			s[j] *= float64(ls.binv[j])
		}
	}
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
	// dx = a·dy + b·x + c per channel, with
	// a = gamma·inv, b = −a·inv·dgamma/M, c = −a·dbeta/M − b·mean.
	invM := 1 / float64(n*px)
	for j := range C {
		a := float64(ls.scale[j])
		b := -a * float64(ls.binv[j]) * float64(ls.dg[j]) * invM
		ls.ca[j], ls.cb[j] = T(a), T(b)
		ls.cc[j] = T(-a*float64(ls.dbeta[j])*invM - b*float64(ls.bmean[j]))
	}
	e.par(n, func(_, c int) {
		lo, m := span(c, n)
		ca, cb, cc := ls.ca[:C], ls.cb[:C], ls.cc[:C]
		for p := lo * px; p < (lo+m)*px; p++ {
			g, d, xr := dy[p*C:(p+1)*C], dx[p*C:(p+1)*C], x[p*C:(p+1)*C]
			g, d = g[:len(xr)], d[:len(xr)]
			if add {
				for j, v := range xr {
					d[j] += ca[j]*g[j] + cb[j]*v + cc[j]
				}
			} else {
				for j, v := range xr {
					d[j] = ca[j]*g[j] + cb[j]*v + cc[j]
				}
			}
		}
	})
}

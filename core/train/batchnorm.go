package train

import (
	"math"

	"github.com/morphnas/morphnas/core/graph"
)

// Batch norm followed by its only consumer, a ReLU, runs as one fused
// layer: the forward pass writes the ReLU's output directly (the batch-norm
// node's own activations are then not kept) and the backward pass masks
// the ReLU's gradient on the fly, saving two passes over the largest
// tensors of a conv block.

// Batch norm in training mode runs in three steps: per-chunk sums of the
// input (bnStatsChunk), their reduction into the batch statistics and the
// affine map (bnReduceStats), and the map itself, chunk by chunk, in
// fwdChunk. Its backward pass likewise: per-chunk gradient sums
// (bnSumsChunk), their reduction (bnReduceGrads), and the input gradient
// (bnInputChunk).

// bnApplyChunk runs the affine map of batch norm i on examples lo..lo+m-1,
// and the ReLU and max pool fused with it.
func (e *engine[T]) bnApplyChunk(i, lo, m int) {
	l, ls := &e.g.Layers[i], &e.layers[i]
	in := e.shapes[l.Inputs[0]]
	is := in.Size()
	x := e.act[l.Inputs[0]]
	if ls.pool {
		q := ls.poolLayer
		pl := &e.layers[q]
		affineReluPool(x, e.act[q+1], pl.argmax, lo, m, in, e.shapes[q+1],
			pl.kern, pl.stride, ls.scale[:in.C], ls.shift[:in.C])
		return
	}
	y := e.act[i+1]
	if ls.relu {
		y = e.act[ls.reluLayer+1]
	}
	affine(x[lo*is:(lo+m)*is], y[lo*is:(lo+m)*is], ls.scale[:in.C], ls.shift[:in.C], ls.relu)
}

// bnStatsChunk adds up Σ(x−k) and Σ(x−k)² per channel over chunk c, the
// input shifted by the running mean k to keep the variance free of
// cancellation: each example's sums in T (at most H·W terms), added up in
// float64 into the chunk's partial sums.
func (e *engine[T]) bnStatsChunk(i, w, c, n int) {
	l, ls := &e.g.Layers[i], &e.layers[i]
	in := e.shapes[l.Inputs[0]]
	C, px := in.C, max(in.H*in.W, 1)
	x := e.act[l.Inputs[0]]
	lo, m := span(c, n)
	s := ls.part64[c*2*C : (c+1)*2*C]
	clear(s)
	acc := ls.acc[w*2*C : (w+1)*2*C]
	as, aq := acc[:C], acc[C:]
	k := ls.mean[:C]
	for b := lo; b < lo+m; b++ {
		clear(acc)
		for p := b * px; p < (b+1)*px; p++ {
			xr := x[p*C : (p+1)*C]
			xr = xr[:len(k)]
			for j, v := range xr {
				d := v - k[j]
				as[j] += d
				aq[j] += d * d
			}
		}
		for j := range C {
			s[j] += float64(as[j])
			s[C+j] += float64(aq[j])
		}
	}
}

// bnReduceStats turns the chunks' sums into the batch mean and (biased)
// variance, sets the affine map from them, and moves the running
// statistics towards them, the variance unbiased as PyTorch does.
func (e *engine[T]) bnReduceStats(i, n int) {
	l, ls := &e.g.Layers[i], &e.layers[i]
	in := e.shapes[l.Inputs[0]]
	C, px := in.C, max(in.H*in.W, 1)
	cnt := float64(n * px)
	nc := chunks(n)
	for j := range C {
		var s, q float64
		for c := range nc {
			s += ls.part64[c*2*C+j]
			q += ls.part64[c*2*C+C+j]
		}
		ds := s / cnt // mean − k
		mean := float64(ls.mean[j]) + ds
		v := max(q/cnt-ds*ds, 0)
		inv := 1 / math.Sqrt(v+graph.BNEpsilon)
		ls.bmean[j], ls.binv[j] = T(mean), T(inv)
		ls.scale[j] = T(float64(ls.gamma[j]) * inv)
		ls.shift[j] = T(float64(ls.beta[j]) - mean*float64(ls.gamma[j])*inv)
		unbiased := v
		if cnt > 1 {
			unbiased = v * cnt / (cnt - 1)
		}
		ls.mean[j] = T((1-bnMomentum)*float64(ls.mean[j]) + bnMomentum*mean)
		ls.vr[j] = T((1-bnMomentum)*float64(ls.vr[j]) + bnMomentum*unbiased)
	}
}

// bnInferScale sets the affine map of inference mode, from the running
// statistics.
func (e *engine[T]) bnInferScale(i int) {
	ls := &e.layers[i]
	for j := range ls.scale {
		inv := 1 / math.Sqrt(float64(ls.vr[j])+graph.BNEpsilon)
		ls.scale[j] = T(float64(ls.gamma[j]) * inv)
		ls.shift[j] = T(float64(ls.beta[j]) - float64(ls.mean[j])*float64(ls.gamma[j])*inv)
	}
}

// bnGrads returns the gradient at batch norm i's output and, when it is
// fused with a ReLU, the ReLU's output that masks it.
func (e *engine[T]) bnGrads(i int) (dy, ry []T) {
	ls := &e.layers[i]
	if ls.relu {
		return e.grad[ls.reluLayer+1], e.act[ls.reluLayer+1]
	}
	return e.grad[i+1], nil
}

// bnSumsChunk adds up, over chunk c, Σdy and Σdy·(x − mean) per channel:
// each example's sums in T, added up in float64 into the chunk's partial
// sums.
func (e *engine[T]) bnSumsChunk(i, w, c, n int) {
	l, ls := &e.g.Layers[i], &e.layers[i]
	in := e.shapes[l.Inputs[0]]
	C, px := in.C, max(in.H*in.W, 1)
	x := e.act[l.Inputs[0]]
	lo, m := span(c, n)
	s := ls.part64[c*2*C : (c+1)*2*C]
	clear(s)
	acc := ls.acc[w*2*C : (w+1)*2*C]
	if ls.pool {
		// Fused with ReLU and max pool: the gradient is the pool's, at
		// the positions the pool chose, where the ReLU let it through.
		q := ls.poolLayer
		ps := e.shapes[q+1].Size()
		dyp, yp, am := e.grad[q+1], e.act[q+1], e.layers[q].argmax
		for b := lo; b < lo+m; b++ {
			clear(acc)
			o0 := b * ps
			poolGradSums(x, dyp[o0:o0+ps], yp[o0:o0+ps], am[o0:o0+ps], ls.bmean[:C], acc[:C], acc[C:])
			for j := range C {
				s[j] += float64(acc[j])
				s[C+j] += float64(acc[C+j])
			}
		}
		return
	}
	dy, ry := e.bnGrads(i)
	for b := lo; b < lo+m; b++ {
		clear(acc)
		r := b * px * C
		var ryb []T
		if ry != nil {
			ryb = ry[r : r+px*C]
		}
		bnGradSums(x[r:r+px*C], dy[r:r+px*C], ryb, ls.bmean[:C], acc[:C], acc[C:])
		for j := range C {
			s[j] += float64(acc[j])
			s[C+j] += float64(acc[C+j])
		}
	}
}

// bnReduceGrads reduces the chunks' sums into the parameter gradients,
//
//	dbeta = Σ dy, dgamma = Σ dy·x̂,
//
// and sets the coefficients of the input gradient
//
//	dx = gamma/σ · (dy − dbeta/M − x̂·dgamma/M) = a·dy + b·x + c
//
// with M the number of values per channel, a = gamma/σ,
// b = −a·dgamma/(σ·M) and c = −a·dbeta/M − b·mean.
func (e *engine[T]) bnReduceGrads(i, n int) {
	l, ls := &e.g.Layers[i], &e.layers[i]
	in := e.shapes[l.Inputs[0]]
	C, px := in.C, max(in.H*in.W, 1)
	nc := chunks(n)
	for j := range C {
		var s, q float64
		for c := range nc {
			s += ls.part64[c*2*C+j]
			q += ls.part64[c*2*C+C+j]
		}
		ls.dbeta[j], ls.dg[j] = T(s), T(q*float64(ls.binv[j]))
	}
	invM := 1 / float64(n*px)
	for j := range C {
		a := float64(ls.scale[j])
		b := -a * float64(ls.binv[j]) * float64(ls.dg[j]) * invM
		ls.ca[j], ls.cb[j] = T(a), T(b)
		ls.cc[j] = T(-a*float64(ls.dbeta[j])*invM - b*float64(ls.bmean[j]))
	}
}

// bnInputChunk writes the input gradient of chunk c.
func (e *engine[T]) bnInputChunk(i, c, n int) {
	l, ls := &e.g.Layers[i], &e.layers[i]
	if ls.dx[0] == nil {
		return
	}
	in := e.shapes[l.Inputs[0]]
	C, px := in.C, max(in.H*in.W, 1)
	x := e.act[l.Inputs[0]]
	lo, m := span(c, n)
	r0, r1 := lo*px*C, (lo+m)*px*C
	if ls.pool {
		// dx = b·x + c everywhere, plus a·dy at the positions the pool
		// chose where the ReLU let the gradient through.
		q := ls.poolLayer
		ps := e.shapes[q+1].Size()
		affineAdd(x[r0:r1], ls.dx[0][r0:r1], ls.cb[:C], ls.cc[:C], ls.add[0])
		dyp, yp, am := e.grad[q+1], e.act[q+1], e.layers[q].argmax
		dx, ca := ls.dx[0], ls.ca[:C]
		for o := lo * ps; o < (lo+m)*ps; o++ {
			if yp[o] > 0 {
				dx[am[o]] += ca[o%C] * dyp[o]
			}
		}
		return
	}
	dy, ry := e.bnGrads(i)
	var ryc []T
	if ry != nil {
		ryc = ry[r0:r1]
	}
	bnGradInput(x[r0:r1], dy[r0:r1], ryc, ls.dx[0][r0:r1], ls.ca[:C], ls.cb[:C], ls.cc[:C], ls.add[0])
}

// affine sets y = x·scale + shift per channel (the last axis), followed by
// max(·, 0) when relu is set.
func affine[T float](x, y, scale, shift []T, relu bool) {
	C := len(scale)
	if xs, ok := any(x).([]float32); ok && relu {
		ys, sc, sh := any(y).([]float32), any(scale).([]float32), any(shift).([]float32)
		for p := 0; p < len(xs); p += C {
			xr, yr := xs[p:p+C], ys[p:p+C]
			yr, sc := yr[:len(xr)], sc[:len(xr)]
			sh := sh[:len(xr)]
			for j, v := range xr {
				b := math.Float32bits(v*sc[j] + sh[j])
				yr[j] = math.Float32frombits(b &^ uint32(int32(b)>>31))
			}
		}
		return
	}
	for p := 0; p < len(x); p += C {
		xr, yr := x[p:p+C], y[p:p+C]
		yr, sc, sh := yr[:len(xr)], scale[:len(xr)], shift[:len(xr)]
		for j, v := range xr {
			yr[j] = v*sc[j] + sh[j]
			if relu {
				yr[j] = max(yr[j], 0)
			}
		}
	}
}

// bnGradSums adds Σg and Σg·(x − mean) per channel to sdy and sdx, where g
// is dy, masked to zero where ry (when given) is zero.
func bnGradSums[T float](x, dy, ry, mean, sdy, sdx []T) {
	C := len(mean)
	if xs, ok := any(x).([]float32); ok && ry != nil {
		gs, rs := any(dy).([]float32), any(ry).([]float32)
		ms, ss, sx := any(mean).([]float32), any(sdy).([]float32), any(sdx).([]float32)
		for p := 0; p < len(xs); p += C {
			xr, g, r := xs[p:p+C], gs[p:p+C], rs[p:p+C]
			g, r, ms := g[:len(xr)], r[:len(xr)], ms[:len(xr)]
			ss, sx := ss[:len(xr)], sx[:len(xr)]
			for j, v := range xr {
				zero := uint32(int32(math.Float32bits(r[j])-1) >> 31)
				gj := math.Float32frombits(math.Float32bits(g[j]) &^ zero)
				ss[j] += gj
				sx[j] += gj * (v - ms[j])
			}
		}
		return
	}
	for p := 0; p < len(x); p += C {
		xr, g := x[p:p+C], dy[p:p+C]
		for j, v := range xr {
			gj := g[j]
			if ry != nil && ry[p+j] <= 0 {
				gj = 0
			}
			sdy[j] += gj
			sdx[j] += gj * (v - mean[j])
		}
	}
}

// bnGradInput sets (or adds) dx = a·g + b·x + c per channel, g being dy
// masked where ry (when given) is zero.
func bnGradInput[T float](x, dy, ry, dx, ca, cb, cc []T, add bool) {
	C := len(ca)
	if xs, ok := any(x).([]float32); ok && ry != nil && !add {
		gs, rs, ds := any(dy).([]float32), any(ry).([]float32), any(dx).([]float32)
		as, bs, cs := any(ca).([]float32), any(cb).([]float32), any(cc).([]float32)
		for p := 0; p < len(xs); p += C {
			xr, g, r, d := xs[p:p+C], gs[p:p+C], rs[p:p+C], ds[p:p+C]
			g, r, d = g[:len(xr)], r[:len(xr)], d[:len(xr)]
			as, bs, cs := as[:len(xr)], bs[:len(xr)], cs[:len(xr)]
			for j, v := range xr {
				zero := uint32(int32(math.Float32bits(r[j])-1) >> 31)
				gj := math.Float32frombits(math.Float32bits(g[j]) &^ zero)
				d[j] = as[j]*gj + bs[j]*v + cs[j]
			}
		}
		return
	}
	for p := 0; p < len(x); p += C {
		xr, g, d := x[p:p+C], dy[p:p+C], dx[p:p+C]
		for j, v := range xr {
			gj := g[j]
			if ry != nil && ry[p+j] <= 0 {
				gj = 0
			}
			r := ca[j]*gj + cb[j]*v + cc[j]
			if add {
				d[j] += r
			} else {
				d[j] = r
			}
		}
	}
}

// affineAdd sets (or, with add, adds) dx = b·x + c per channel.
func affineAdd[T float](x, dx, cb, cc []T, add bool) {
	C := len(cb)
	for p := 0; p < len(x); p += C {
		xr, d := x[p:p+C], dx[p:p+C]
		d, cb, cc := d[:len(xr)], cb[:len(xr)], cc[:len(xr)]
		if add {
			for j, v := range xr {
				d[j] += cb[j]*v + cc[j]
			}
		} else {
			for j, v := range xr {
				d[j] = cb[j]*v + cc[j]
			}
		}
	}
}

// poolGradSums adds Σg and Σg·(x − mean) per channel for one example of a
// fused batch norm, ReLU and max pool: g is the pool's gradient dyp at the
// positions am it chose, where its output yp (the ReLU's) is positive.
func poolGradSums[T float](x, dyp, yp []T, am []int32, mean, sdy, sdx []T) {
	C := len(mean)
	for p := 0; p < len(dyp); p += C {
		g, y, a := dyp[p:p+C], yp[p:p+C], am[p:p+C]
		g, y = g[:len(a)], y[:len(a)]
		for j, k := range a {
			if y[j] > 0 {
				sdy[j] += g[j]
				sdx[j] += g[j] * (x[k] - mean[j])
			}
		}
	}
}

// affineReluPool is the forward pass of a fused batch norm, ReLU and max
// pool for examples lo..lo+m-1: each window of max(x·scale + shift, 0) is
// pooled into y, and argmax records the index in x of the value chosen
// (the first maximum). The ReLU's output is never stored.
func affineReluPool[T float](x, y []T, argmax []int32, lo, m int, in, out graph.Shape, k, s int, scale, shift []T) {
	if xs, ok := any(x).([]float32); ok {
		affineReluPool32(xs, any(y).([]float32), argmax, lo, m, in, out, k, s,
			any(scale).([]float32), any(shift).([]float32))
		return
	}
	C := in.C
	for b := lo; b < lo+m; b++ {
		for oy := range out.H {
			for ox := range out.W {
				o := ((b*out.H+oy)*out.W + ox) * C
				yr, ar := y[o:o+C], argmax[o:o+C]
				for ky := range k {
					for kx := range k {
						p := ((b*in.H+oy*s+ky)*in.W + ox*s + kx) * C
						xr := x[p : p+C]
						first := ky == 0 && kx == 0
						for j, v := range xr {
							r := max(v*scale[j]+shift[j], 0)
							if first || r > yr[j] {
								yr[j] = r
								ar[j] = int32(p + j)
							}
						}
					}
				}
			}
		}
	}
}

// affineReluPool32 is affineReluPool without data-dependent branches. The
// values compared are ReLU outputs, never negative, so their bits compare
// as integers in the same order, and the running maximum and its index
// are replaced through masks.
func affineReluPool32(x, y []float32, argmax []int32, lo, m int, in, out graph.Shape, k, s int, scale, shift []float32) {
	C := in.C
	scale, shift = scale[:C], shift[:C]
	for b := lo; b < lo+m; b++ {
		for oy := range out.H {
			for ox := range out.W {
				o := ((b*out.H+oy)*out.W + ox) * C
				yr, ar := y[o:o+C], argmax[o:o+C]
				for ky := range k {
					for kx := range k {
						p := ((b*in.H+oy*s+ky)*in.W + ox*s + kx) * C
						xr := x[p : p+C]
						yr, ar := yr[:len(xr)], ar[:len(xr)]
						sc, sh := scale[:len(xr)], shift[:len(xr)]
						if ky == 0 && kx == 0 {
							for j, v := range xr {
								r := math.Float32bits(v*sc[j] + sh[j])
								yr[j] = math.Float32frombits(r &^ uint32(int32(r)>>31))
								ar[j] = int32(p + j)
							}
							continue
						}
						for j, v := range xr {
							r := math.Float32bits(v*sc[j] + sh[j])
							kv := int32(r &^ uint32(int32(r)>>31))
							km := int32(math.Float32bits(yr[j]))
							mask := (km - kv) >> 31 // all ones when the new value is larger
							yr[j] = math.Float32frombits(uint32(km ^ ((km ^ kv) & mask)))
							ar[j] ^= (ar[j] ^ int32(p+j)) & mask
						}
					}
				}
			}
		}
	}
}

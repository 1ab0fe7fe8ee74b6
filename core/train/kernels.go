package train

import (
	"math"

	"github.com/morphnas/morphnas/core/graph"
)

// The element-wise kernels below have float32 versions without branches
// on the data: a ReLU mask decided by comparing values mispredicts about
// half the time on real activations, which cost more than the arithmetic.
// The float64 instance (tests only) takes the plain generic loops.

// reluForward sets y = max(x, 0).
func reluForward[T float](x, y []T) {
	if xs, ok := any(x).([]float32); ok {
		ys := any(y).([]float32)
		ys = ys[:len(xs)]
		for j, v := range xs {
			b := math.Float32bits(v)
			ys[j] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
		return
	}
	y = y[:len(x)]
	for j, v := range x {
		y[j] = max(v, 0)
	}
}

// reluBackward sets (or, with add, adds) dx = dy where y > 0 and 0
// elsewhere; y is the ReLU's output, so y > 0 exactly where its bits are
// not zero.
func reluBackward[T float](y, dy, dx []T, add bool) {
	if ys, ok := any(y).([]float32); ok {
		dys, dxs := any(dy).([]float32), any(dx).([]float32)
		dys, dxs = dys[:len(ys)], dxs[:len(ys)]
		if add {
			for j, v := range ys {
				zero := uint32(int32(math.Float32bits(v)-1) >> 31)
				dxs[j] += math.Float32frombits(math.Float32bits(dys[j]) &^ zero)
			}
			return
		}
		for j, v := range ys {
			zero := uint32(int32(math.Float32bits(v)-1) >> 31)
			dxs[j] = math.Float32frombits(math.Float32bits(dys[j]) &^ zero)
		}
		return
	}
	for j, v := range y {
		g := dy[j]
		if v <= 0 {
			g = 0
		}
		if add {
			dx[j] += g
		} else {
			dx[j] = g
		}
	}
}

// orderKey maps the bits of a float32 to an int32 with the same order as
// the floats (negative values have their magnitude bits flipped); it is
// its own inverse.
func orderKey(b uint32) uint32 { return b ^ (uint32(int32(b)>>31) >> 1) }

// maxPool pools examples lo..lo+m-1 and records, for every output, the
// index in x of the value chosen (the first maximum of the window, in
// row-major window order).
func maxPool[T float](x, y []T, argmax []int32, lo, m int, in, out graph.Shape, k, s int) {
	if xs, ok := any(x).([]float32); ok {
		maxPool32(xs, any(y).([]float32), argmax, lo, m, in, out, k, s)
		return
	}
	C := in.C
	for b := lo; b < lo+m; b++ {
		for oy := range out.H {
			for ox := range out.W {
				o := ((b*out.H+oy)*out.W + ox) * C
				yr, ar := y[o:o+C], argmax[o:o+C]
				first := ((b*in.H+oy*s)*in.W + ox*s) * C
				copy(yr, x[first:first+C])
				for c := range C {
					ar[c] = int32(first + c)
				}
				for ky := range k {
					for kx := range k {
						p := ((b*in.H+oy*s+ky)*in.W + ox*s + kx) * C
						for c, v := range x[p : p+C] {
							if v > yr[c] {
								yr[c] = v
								ar[c] = int32(p + c)
							}
						}
					}
				}
			}
		}
	}
}

// maxPool32 is maxPool without data-dependent branches: the running
// maximum is kept as an order key in y's bits and replaced through masks.
func maxPool32(x, y []float32, argmax []int32, lo, m int, in, out graph.Shape, k, s int) {
	C := in.C
	for b := lo; b < lo+m; b++ {
		for oy := range out.H {
			for ox := range out.W {
				o := ((b*out.H+oy)*out.W + ox) * C
				yr, ar := y[o:o+C], argmax[o:o+C]
				first := ((b*in.H+oy*s)*in.W + ox*s) * C
				for c, v := range x[first : first+C] {
					yr[c] = math.Float32frombits(orderKey(math.Float32bits(v)))
					ar[c] = int32(first + c)
				}
				for ky := range k {
					for kx := range k {
						if ky == 0 && kx == 0 {
							continue
						}
						p := ((b*in.H+oy*s+ky)*in.W + ox*s + kx) * C
						xr := x[p : p+C]
						yr, ar := yr[:len(xr)], ar[:len(xr)]
						for c, v := range xr {
							kv := int64(int32(orderKey(math.Float32bits(v))))
							km := int64(int32(math.Float32bits(yr[c])))
							mask := (km - kv) >> 63 // all ones when v is larger
							yr[c] = math.Float32frombits(uint32(km ^ ((km ^ kv) & mask)))
							ar[c] = int32(int64(ar[c]) ^ ((int64(ar[c]) ^ int64(p+c)) & mask))
						}
					}
				}
				for c, v := range yr {
					yr[c] = math.Float32frombits(orderKey(math.Float32bits(v)))
				}
			}
		}
	}
}

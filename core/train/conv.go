package train

import "github.com/morphnas/morphnas/core/graph"

// im2col writes, for each of the m examples of x (NHWC, shape in), one row
// per output pixel holding the kernel window in [ky][kx][ci] order, the
// layout of the HWIO weights seen as a (k*k*cin) x cout matrix. Positions
// in the padding are zero.
func im2col[T float](x []T, m int, in, out graph.Shape, k, s, pt, pl int, col []T) {
	kc := k * in.C
	kkc := k * kc
	rowLen := in.W * in.C
	for b := range m {
		xb := x[b*in.H*rowLen : (b+1)*in.H*rowLen]
		for oy := range out.H {
			for ox := range out.W {
				row := col[((b*out.H+oy)*out.W+ox)*kkc:][:kkc]
				ix0 := ox*s - pl
				for ky := range k {
					dst := row[ky*kc : (ky+1)*kc]
					iy := oy*s + ky - pt
					if iy < 0 || iy >= in.H {
						clear(dst)
						continue
					}
					xr := xb[iy*rowLen : (iy+1)*rowLen]
					if ix0 >= 0 && ix0+k <= in.W {
						copy(dst, xr[ix0*in.C:(ix0+k)*in.C])
						continue
					}
					for kx := range k {
						d := dst[kx*in.C : (kx+1)*in.C]
						if ix := ix0 + kx; ix < 0 || ix >= in.W {
							clear(d)
						} else {
							copy(d, xr[ix*in.C:(ix+1)*in.C])
						}
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds each window row of col back to
// the input positions it was read from; padding positions are dropped.
func col2im[T float](col []T, m int, in, out graph.Shape, k, s, pt, pl int, dx []T) {
	kc := k * in.C
	kkc := k * kc
	rowLen := in.W * in.C
	for b := range m {
		db := dx[b*in.H*rowLen : (b+1)*in.H*rowLen]
		for oy := range out.H {
			for ox := range out.W {
				row := col[((b*out.H+oy)*out.W+ox)*kkc:][:kkc]
				ix0 := ox*s - pl
				for ky := range k {
					iy := oy*s + ky - pt
					if iy < 0 || iy >= in.H {
						continue
					}
					src := row[ky*kc : (ky+1)*kc]
					dr := db[iy*rowLen : (iy+1)*rowLen]
					if ix0 >= 0 && ix0+k <= in.W {
						addTo(dr[ix0*in.C:(ix0+k)*in.C], src)
						continue
					}
					for kx := range k {
						if ix := ix0 + kx; ix >= 0 && ix < in.W {
							addTo(dr[ix*in.C:(ix+1)*in.C], src[kx*in.C:(kx+1)*in.C])
						}
					}
				}
			}
		}
	}
}

// addTo adds src to dst element-wise; they have equal lengths.
func addTo[T float](dst, src []T) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// setOrAdd copies src into dst, or adds it when add is set.
func setOrAdd[T float](dst, src []T, add bool) {
	if add {
		addTo(dst, src)
	} else {
		copy(dst, src)
	}
}

// fillRows sets each of the rows of width len(v) in y to v.
func fillRows[T float](y []T, rows int, v []T) {
	n := len(v)
	for r := range rows {
		copy(y[r*n:(r+1)*n], v)
	}
}

// colSums adds the column sums of the rows x cols matrix x to s (length
// cols) after clearing it.
func colSums[T float](x []T, rows int, s []T) {
	clear(s)
	n := len(s)
	for r := range rows {
		addTo(s, x[r*n:(r+1)*n])
	}
}

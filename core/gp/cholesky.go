package gp

import "math"

// cholesky factorises the n x n symmetric matrix a (row-major, only the lower
// triangle is read) into L with a = L L^T, writing L into the lower triangle
// of l (row-major, length n*n; the strict upper triangle is set to zero). It
// reports false when a pivot is not positive, that is when a is not
// numerically positive definite. Cost n^3/3 multiply-adds.
func cholesky(a, l []float64, n int) bool {
	for i := range n {
		ri := l[i*n : i*n+n]
		for j := 0; j <= i; j++ {
			rj := l[j*n : j*n+j]
			s := a[i*n+j]
			for k, v := range rj {
				s -= ri[k] * v
			}
			if j == i {
				if !(s > 0) || math.IsInf(s, 0) {
					return false
				}
				ri[i] = math.Sqrt(s)
			} else {
				ri[j] = s / l[j*n+j]
			}
		}
		for j := i + 1; j < n; j++ {
			ri[j] = 0
		}
	}
	return true
}

// forwardSolve overwrites b with L^-1 b, L lower triangular as written by
// cholesky. Cost n^2/2 multiply-adds.
func forwardSolve(l []float64, n int, b []float64) {
	for i := range n {
		row := l[i*n : i*n+i]
		s := b[i]
		for k, v := range row {
			s -= v * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

// backSolve overwrites b with L^-T b. Cost n^2/2 multiply-adds.
func backSolve(l []float64, n int, b []float64) {
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

package train

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Backend computes the matrix products of the engine. All matrices are
// row-major host slices; Sgemm computes
//
//	C = alpha * op(A) * op(B) + beta * C
//
// where op(A) is m x k (A transposed when transA is set), op(B) is k x n and
// C is m x n, with leading dimensions lda, ldb and ldc, as in CBLAS.
//
// The engine calls Sgemm from several goroutines at once, each on its own
// C, so an implementation must be safe for concurrent use and should not
// spread a single call over many threads itself: the engine already keeps
// the cores busy with one chunk of the batch per goroutine.
//
// A device backend (CUDA through gorgonia.org/cu behind the `cuda` build
// tag) can implement this interface by staging the operands; keeping
// tensors resident on the device would add an optional interface that the
// engine checks with a type assertion.
type Backend interface {
	// Name says which implementation this is ("gonum", "openblas").
	Name() string
	// Sgemm is the single-precision general matrix product.
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int)
}

// Gonum is the pure-Go backend on gonum's BLAS. It works everywhere and is
// the default of a build without the `openblas` tag.
type Gonum struct{}

// Name returns "gonum".
func (Gonum) Name() string { return "gonum" }

// Sgemm implements Backend.
func (Gonum) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// DefaultBackend returns the fastest backend of this build: OpenBLAS when
// built with the `openblas` tag, gonum otherwise.
func DefaultBackend() Backend { return defaultBackend() }

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// dgemm is the float64 product the engine's float64 instance uses; that
// instance exists for gradient checks, so it always runs on gonum.
func dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int,
	b []float64, ldb int, beta float64, c []float64, ldc int) {
	gonum.Implementation{}.Dgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

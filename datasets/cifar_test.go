package datasets

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkCIFAR checks every value of s against synthCIFAR(n, first) by
// reading the channel-major record bytes directly.
func checkCIFAR(t *testing.T, s *Set, raw []byte) {
	t.Helper()
	n := len(raw) / cifarRecord
	require.Equal(t, []int{n, 32, 32, 3}, []int{s.N, s.H, s.W, s.C})
	for i := range n {
		rec := raw[i*cifarRecord : (i+1)*cifarRecord]
		require.Equal(t, int(rec[0]), s.Y[i], "label of record %d", i)
		for h := range 32 {
			for w := range 32 {
				for c := range 3 {
					b := rec[1+c*1024+h*32+w]
					got := s.X[((i*32+h)*32+w)*3+c]
					if got != float32(b)/255 {
						t.Fatalf("record %d pixel (%d,%d) channel %d = %v, want %d/255", i, h, w, c, got, b)
					}
				}
			}
		}
	}
}

func TestDecodeCIFAR10Exact(t *testing.T) {
	raw := synthCIFAR(4, 7)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"plain", raw},
		{"gzip", gz(t, raw)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := DecodeCIFAR10(bytes.NewReader(tc.data))
			require.NoError(t, err)
			require.NoError(t, s.Validate())
			checkCIFAR(t, s, raw)
			assert.Equal(t, "airplane", s.Classes[0])
			assert.Equal(t, "truck", s.Classes[9])
		})
	}
}

func TestReadCIFAR10FilesConcatenates(t *testing.T) {
	dir := t.TempDir()
	a, b := synthCIFAR(3, 0), synthCIFAR(2, 5)
	pa := writeFile(t, dir, "a.bin", a)
	pb := writeFile(t, dir, "b.bin", b)
	s, err := ReadCIFAR10Files(pa, pb)
	require.NoError(t, err)
	checkCIFAR(t, s, append(bytes.Clone(a), b...))
}

func TestDecodeCIFAR10Corrupt(t *testing.T) {
	raw := synthCIFAR(3, 0)
	badLabel := bytes.Clone(raw)
	badLabel[cifarRecord] = 10 // label of record 1
	for _, tc := range []struct {
		name  string
		data  []byte
		kind  error
		inMsg string
	}{
		{"empty", nil, ErrTruncated, "no records"},
		{"record cut", raw[:2*cifarRecord+100], ErrTruncated, "record 2 has 100 of its 3073 bytes"},
		{"gzip cut", gz(t, raw)[:200], ErrTruncated, "record 0 has"},
		{"label out of range", badLabel, ErrLabelRange, "label 10 of record 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "batch.bin", tc.data)
			s, err := ReadCIFAR10Files(p)
			assert.Nil(t, s)
			requireKind(t, err, tc.kind)
			assert.Contains(t, err.Error(), tc.inMsg)
			assert.Contains(t, err.Error(), p)
		})
	}
}

// tinyCIFAR returns a spec shaped like CIFAR-10's but with two training
// batches of 3 records and a test batch of 2, and the files themselves.
func tinyCIFAR() (*spec, map[string][]byte) {
	files := map[string][]byte{
		"data_batch_1.bin": synthCIFAR(3, 0),
		"data_batch_2.bin": synthCIFAR(3, 3),
		"test_batch.bin":   synthCIFAR(2, 6),
	}
	sp := *cifarSpec
	sp.train = []fileSpec{
		{name: "data_batch_1.bin", sha256: sum(files["data_batch_1.bin"]), count: 3},
		{name: "data_batch_2.bin", sha256: sum(files["data_batch_2.bin"]), count: 3},
	}
	sp.test = []fileSpec{{name: "test_batch.bin", sha256: sum(files["test_batch.bin"]), count: 2}}
	a := *sp.archive
	sp.archive = &a
	return &sp, files
}

func TestLoadCIFARFromDir(t *testing.T) {
	sp, files := tinyCIFAR()
	dir := t.TempDir()
	for n, b := range files {
		writeFile(t, filepath.Join(dir, "cifar-10-batches-bin"), n, b)
	}
	train, test, err := newLoader(sp, Options{Dir: dir, CacheDir: t.TempDir()}).load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "cifar10", train.Name)
	checkCIFAR(t, train, append(bytes.Clone(files["data_batch_1.bin"]), files["data_batch_2.bin"]...))
	checkCIFAR(t, test, files["test_batch.bin"])
}

func TestLoadCIFARVerifies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(sp *spec, files map[string][]byte)
		kind   error
		inMsg  string
	}{
		{"checksum", func(sp *spec, files map[string][]byte) {
			files["data_batch_2.bin"][5] ^= 1
		}, ErrChecksum, "data_batch_2.bin: checksum mismatch"},
		{"count", func(sp *spec, files map[string][]byte) {
			sp.test[0].count = 10000
		}, ErrCountMismatch, "test_batch.bin: count mismatch: 2 examples, want 10000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, files := tinyCIFAR()
			tc.change(sp, files)
			dir := t.TempDir()
			for n, b := range files {
				writeFile(t, dir, n, b)
			}
			_, _, err := newLoader(sp, Options{Dir: dir, CacheDir: t.TempDir()}).load(context.Background())
			requireKind(t, err, tc.kind)
			assert.Contains(t, err.Error(), "datasets: cifar10: "+dir)
			assert.Contains(t, err.Error(), tc.inMsg)
		})
	}
}

func TestLoadRealCIFARSpecRejectsSyntheticFiles(t *testing.T) {
	// The catalogue's own checksums are checked: synthetic batches under
	// the real names are refused.
	dir := t.TempDir()
	for _, f := range slices.Concat(cifarSpec.train, cifarSpec.test) {
		writeFile(t, dir, f.name, synthCIFAR(2, 0))
	}
	_, _, err := Load("cifar10", Options{Dir: dir, CacheDir: t.TempDir()})
	requireKind(t, err, ErrChecksum)
	assert.Contains(t, err.Error(), filepath.Join(dir, "data_batch_1.bin"))
	_, statErr := os.Stat(filepath.Join(dir, "data_batch_1.bin"))
	require.NoError(t, statErr, "the files are left alone")
}

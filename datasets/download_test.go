package datasets

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// archiveServer serves body at /cifar-10-binary.tar.gz on loopback and
// counts the requests. If cut is true it closes the connection after half
// the body, having promised all of it in Content-Length.
func archiveServer(t *testing.T, body []byte, cut bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/cifar-10-binary.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if !cut {
			w.Write(body)
			return
		}
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// tinyArchive returns the tiny CIFAR spec of tinyCIFAR with its archive
// address on srv (filled in later by the caller), and the archive bytes.
func tinyArchive(t *testing.T) (*spec, map[string][]byte, []byte) {
	sp, files := tinyCIFAR()
	names := []string{
		"cifar-10-batches-bin/batches.meta.txt",
		"cifar-10-batches-bin/data_batch_1.bin",
		"cifar-10-batches-bin/data_batch_2.bin",
		"cifar-10-batches-bin/test_batch.bin",
		"cifar-10-batches-bin/readme.html",
	}
	content := map[string][]byte{
		names[0]: []byte("airplane\nautomobile\n"),
		names[1]: files["data_batch_1.bin"],
		names[2]: files["data_batch_2.bin"],
		names[3]: files["test_batch.bin"],
		names[4]: []byte("<html></html>"),
	}
	arch := tarGz(t, names, content)
	sp.archive.sha256 = sum(arch)
	sp.archive.size = int64(len(arch))
	return sp, files, arch
}

func TestDownloadArchive(t *testing.T) {
	sp, files, arch := tinyArchive(t)
	srv, hits := archiveServer(t, arch, false)
	sp.archive.url = srv.URL + "/cifar-10-binary.tar.gz"
	cache := t.TempDir()
	var bar bytes.Buffer
	opts := Options{CacheDir: cache, Download: true, Progress: &bar}

	train, test, err := newLoader(sp, opts).load(context.Background())
	require.NoError(t, err)
	checkCIFAR(t, train, append(bytes.Clone(files["data_batch_1.bin"]), files["data_batch_2.bin"]...))
	checkCIFAR(t, test, files["test_batch.bin"])
	assert.Equal(t, int32(1), hits.Load())
	assert.Contains(t, bar.String(), "cifar10 cifar-10-binary.tar.gz [")
	assert.Contains(t, bar.String(), "100.0%")

	// Only the verified data files stay in the cache: no archive, no
	// partial file, no other member.
	assert.ElementsMatch(t, []string{"data_batch_1.bin", "data_batch_2.bin", "test_batch.bin"},
		listDir(t, filepath.Join(cache, "cifar10")))

	// A second load is served by the cache without a request.
	train2, _, err := newLoader(sp, opts).load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, train.X, train2.X)
	assert.Equal(t, int32(1), hits.Load())
}

func TestDownloadArchiveFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cut   bool
		spoil func(sp *spec)
		kind  error
		inMsg string
	}{
		{"checksum mismatch", false, func(sp *spec) { sp.archive.sha256 = sum([]byte("other")) },
			ErrChecksum, "want " + sum([]byte("other"))},
		{"connection cut halfway", true, func(*spec) {}, ErrTruncated, "connection closed after"},
		{"member checksum", false, func(sp *spec) { sp.test[0].sha256 = sum(nil) },
			ErrChecksum, "cifar-10-batches-bin/test_batch.bin: checksum mismatch"},
		{"member missing", false, func(sp *spec) { sp.test[0].name = "test_batch_2.bin" },
			ErrTruncated, "archive lacks cifar-10-batches-bin/test_batch_2.bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, _, arch := tinyArchive(t)
			srv, hits := archiveServer(t, arch, tc.cut)
			sp.archive.url = srv.URL + "/cifar-10-binary.tar.gz"
			tc.spoil(sp)
			cache := t.TempDir()

			_, _, err := newLoader(sp, Options{CacheDir: cache, Download: true}).load(context.Background())
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrNotFound)
			requireKind(t, err, tc.kind)
			assert.Contains(t, err.Error(), tc.inMsg)
			assert.Contains(t, err.Error(), sp.archive.url)
			assert.Equal(t, int32(1), hits.Load())
			assert.Empty(t, listDir(t, filepath.Join(cache, "cifar10")), "nothing unverified is left in the cache")
		})
	}
}

func TestDownloadHTTPStatus(t *testing.T) {
	sp, _, arch := tinyArchive(t)
	srv, _ := archiveServer(t, arch, false)
	sp.archive.url = srv.URL + "/moved.tar.gz"
	_, _, err := newLoader(sp, Options{CacheDir: t.TempDir(), Download: true}).load(context.Background())
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "http status 404 Not Found")
}

func TestDownloadCancelled(t *testing.T) {
	sp, _, arch := tinyArchive(t)
	srv, _ := archiveServer(t, arch, false)
	sp.archive.url = srv.URL + "/cifar-10-binary.tar.gz"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := newLoader(sp, Options{CacheDir: t.TempDir(), Download: true}).load(ctx)
	require.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, err, context.Canceled)
}

// tinyIDX returns an IDX spec with the file names of MNIST, its files
// (gzip), and a server that serves them under /good/, wrong content under
// /bad/ and 404 elsewhere, on loopback.
func tinyIDX(t *testing.T) (*spec, map[string][]byte, *httptest.Server) {
	trImg, trLab, _, _ := synthIDX(10, 28, 28, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	teImg, teLab, _, _ := synthIDX(4, 28, 28, []byte{9, 8})
	raw := map[string][]byte{
		"train-images-idx3-ubyte": trImg, "train-labels-idx1-ubyte": trLab,
		"t10k-images-idx3-ubyte": teImg, "t10k-labels-idx1-ubyte": teLab,
	}
	files := map[string][]byte{}
	for n, b := range raw {
		files[n+".gz"] = gz(t, b)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dir, name := filepath.Split(r.URL.Path)
		b, ok := files[name]
		switch {
		case !ok:
			http.NotFound(w, r)
		case dir == "/good/":
			w.Write(b)
		case dir == "/bad/": // the right format, other content
			w.Write(gz(t, idxBytes([]int{1}, []byte{0})))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	sp := *mnistSpec
	sp.module = nil
	bases := []string{srv.URL + "/missing/", srv.URL + "/good/"}
	sp.train = []fileSpec{
		idxFile("train-images-idx3-ubyte", sum(trImg), 10, bases),
		idxFile("train-labels-idx1-ubyte", sum(trLab), 10, bases),
	}
	sp.test = []fileSpec{
		idxFile("t10k-images-idx3-ubyte", sum(teImg), 4, bases),
		idxFile("t10k-labels-idx1-ubyte", sum(teLab), 4, bases),
	}
	return &sp, raw, srv
}

func TestDownloadIDXWithFallback(t *testing.T) {
	sp, raw, _ := tinyIDX(t)
	cache := t.TempDir()
	var logs bytes.Buffer
	train, test, err := newLoader(sp, Options{CacheDir: cache, Download: true, Logger: testLogger(&logs)}).
		load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 10, train.N)
	assert.Equal(t, 4, test.N)
	assert.Equal(t, float32(raw["train-images-idx3-ubyte"][16+5])/255, train.X[5])
	assert.ElementsMatch(t, []string{
		"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
		"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
	}, listDir(t, filepath.Join(cache, "mnist")))
	assert.Contains(t, logs.String(), "/missing/train-images-idx3-ubyte.gz")
	assert.Contains(t, logs.String(), "http status 404")
}

func TestDownloadIDXWrongContent(t *testing.T) {
	sp, _, srv := tinyIDX(t)
	for i := range sp.train {
		sp.train[i].urls = []string{srv.URL + "/bad/" + sp.train[i].name + ".gz"}
	}
	cache := t.TempDir()
	_, _, err := newLoader(sp, Options{CacheDir: cache, Download: true}).load(context.Background())
	require.ErrorIs(t, err, ErrNotFound)
	requireKind(t, err, ErrChecksum)
	assert.Contains(t, err.Error(), srv.URL+"/bad/train-images-idx3-ubyte.gz: checksum mismatch")
	assert.Empty(t, listDir(t, filepath.Join(cache, "mnist")))
}

func TestProgressWithoutLength(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, "x", -1)
	p.Write(make([]byte, 3<<20))
	p.finish()
	assert.Equal(t, "\rx 3.0 MiB\rx 3.0 MiB\n", b.String())
}

func TestLoadArchiveFromDir(t *testing.T) {
	// An archive the user downloaded by hand into Dir is verified and
	// extracted into the cache, and left where it was.
	sp, files, arch := tinyArchive(t)
	dir, cache := t.TempDir(), t.TempDir()
	p := writeFile(t, filepath.Join(dir, "cifar10"), "cifar-10-binary.tar.gz", arch)
	train, test, err := newLoader(sp, Options{Dir: dir, CacheDir: cache}).load(context.Background())
	require.NoError(t, err)
	checkCIFAR(t, test, files["test_batch.bin"])
	assert.Equal(t, 6, train.N)
	assert.FileExists(t, p)
	assert.ElementsMatch(t, []string{"data_batch_1.bin", "data_batch_2.bin", "test_batch.bin"},
		listDir(t, filepath.Join(cache, "cifar10")))

	// A damaged archive is an error, and nothing is extracted.
	arch[len(arch)/2] ^= 1
	writeFile(t, filepath.Join(dir, "cifar10"), "cifar-10-binary.tar.gz", arch)
	cache2 := t.TempDir()
	_, _, err = newLoader(sp, Options{Dir: dir, CacheDir: cache2}).load(context.Background())
	requireKind(t, err, ErrChecksum)
	assert.Contains(t, err.Error(), p+": checksum mismatch")
	assert.Empty(t, listDir(t, filepath.Join(cache2, "cifar10")))
}

func TestDownloadStalled(t *testing.T) {
	// A server that sends half the archive and then nothing: the download
	// gives up after the stall time (shortened here to 200 ms) and leaves
	// nothing behind.
	sp, _, arch := tinyArchive(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(arch)))
		w.Write(arch[:len(arch)/2])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	sp.archive.url = srv.URL + "/cifar-10-binary.tar.gz"
	cache := t.TempDir()
	l := newLoader(sp, Options{CacheDir: cache, Download: true})
	l.stall = 200 * time.Millisecond
	start := time.Now()
	_, _, err := l.load(context.Background())
	require.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, err, errStalled)
	assert.Contains(t, err.Error(), "transfer stalled: no data for 200ms after ")
	assert.Less(t, time.Since(start), 4*time.Second)
	assert.Empty(t, listDir(t, filepath.Join(cache, "cifar10")))
}
